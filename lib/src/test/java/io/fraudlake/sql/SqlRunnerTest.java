package io.fraudlake.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class SqlRunnerTest {
  @Test
  void notebookCellsAndStatementsAreSplitOutsideQuotesAndComments() {
    String notebook = String.join("\n",
        "-- Databricks notebook source",
        "-- MAGIC %md",
        "-- MAGIC # Title; not SQL",
        "",
        "-- COMMAND ----------",
        "",
        "SELECT 'a;b' AS x; -- a comment; still a comment",
        "SELECT 2",
        "",
        "-- COMMAND ----------",
        "/* block; comment */ SELECT \"q;\" AS y",
        "");
    assertEquals(List.of("SELECT 'a;b' AS x", "SELECT 2", "SELECT \"q;\" AS y"), SqlScript.statements(notebook));
  }

  private static String run(Lakehouse lakehouse, ResultFormat format, int limit, String sql) {
    return run(lakehouse, format, RowLimit.of(limit), sql);
  }

  private static String run(Lakehouse lakehouse, ResultFormat format, RowLimit limit, String sql) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new SqlRunner(lakehouse, format, limit, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(sql);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void contractTablesAreQueryableAndPrintedInEachFormat() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    StructType schema = new StructType().add("TransactionID", DataTypes.StringType).add("amt", DataTypes.DoubleType);
    lakehouse.append(SharedSpark.session().createDataFrame(List.of(
        RowFactory.create("t1", 1.5), RowFactory.create("t,2", null)), schema), Tables.GOLD);
    String query = "SELECT TransactionID, amt FROM fraud_predictions ORDER BY TransactionID";

    assertEquals(String.join("\n",
        "+---------------+------+",
        "| TransactionID | amt  |",
        "+---------------+------+",
        "| t,2           | NULL |",
        "| t1            | 1.5  |",
        "+---------------+------+",
        "(2 rows)", ""), run(lakehouse, ResultFormat.TABLE, 100, query));
    assertEquals("TransactionID,amt\n\"t,2\",\nt1,1.5\n", run(lakehouse, ResultFormat.CSV, 100, query));
    assertEquals("{\"TransactionID\":\"t,2\"}\n{\"TransactionID\":\"t1\",\"amt\":1.5}\n",
        run(lakehouse, ResultFormat.JSON, 100, query));
    assertTrue(run(lakehouse, ResultFormat.TABLE, 1, query).endsWith("(first 1 rows; --limit shows more)\n"));
  }

  @Test
  void limitZeroOrAllExportsEveryRowAsCsvAndJsonLines() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    StructType schema = new StructType().add("TransactionID", DataTypes.StringType).add("fraud_score", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    StringBuilder csv = new StringBuilder("TransactionID,fraud_score\n");
    StringBuilder json = new StringBuilder();
    for (int i = 0; i < 250; i++) {
      // IDs that sort as numbers sort as text, and every fifth needs CSV quoting.
      String id = String.format(Locale.ROOT, "t%03d%s", i, i % 5 == 0 ? ",\"q\"" : "");
      double score = i / 1000.0;
      rows.add(RowFactory.create(id, i % 7 == 0 ? null : score));
      csv.append(i % 5 == 0 ? "\"" + id.replace("\"", "\"\"") + "\"" : id).append(',').append(i % 7 == 0 ? "" : score).append('\n');
      json.append("{\"TransactionID\":\"").append(id.replace("\"", "\\\"")).append('"')
          .append(i % 7 == 0 ? "" : ",\"fraud_score\":" + score).append("}\n");
    }
    // Several files, so the rows come from several partitions.
    lakehouse.append(SharedSpark.session().createDataFrame(rows, schema).repartition(4), Tables.GOLD);
    String query = "SELECT TransactionID, fraud_score FROM fraud_predictions ORDER BY TransactionID";

    for (String every : List.of("0", "all", "ALL")) {
      assertEquals(csv.toString(), run(lakehouse, ResultFormat.CSV, RowLimit.parse(every), query), every);
      assertEquals(json.toString(), run(lakehouse, ResultFormat.JSON, RowLimit.parse(every), query), every);
    }
    String first = run(lakehouse, ResultFormat.CSV, RowLimit.parse("100"), query);
    assertEquals(101, first.lines().count(), "the header and 100 rows");
    assertTrue(csv.toString().startsWith(first));
  }

  @Test
  void theTableFormatShowsAtMostItsCapAndSaysWhenItCutRows() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    String query = "SELECT id FROM range(" + (SqlRunner.TABLE_MAX_ROWS + 5) + ")";
    String table = run(lakehouse, ResultFormat.TABLE, RowLimit.all(), query);
    List<String> lines = table.lines().toList();
    assertEquals(String.format(Locale.ROOT, "(first %,d rows: the table format shows no more; --format csv or json prints them all)",
        SqlRunner.TABLE_MAX_ROWS), lines.get(lines.size() - 1));
    assertEquals(SqlRunner.TABLE_MAX_ROWS, lines.stream().filter(l -> l.matches("\\| \\d+ +\\|")).count());
    assertEquals(SqlRunner.TABLE_MAX_ROWS + 5 + 1, run(lakehouse, ResultFormat.CSV, RowLimit.all(), query).lines().count());
  }

  @Test
  void aLimitThatIsNotANumberOfRowsIsRefusedNamingIt() {
    for (String bad : List.of("-1", "lots", "1.5", "", "99999999999")) {
      FraudLakeException e = assertThrows(FraudLakeException.class, () -> RowLimit.parse(bad));
      assertEquals("--limit must be a number of rows from 1 to 2147483646, or 0 or all for every row; got \"" + bad + "\"",
          e.getMessage());
    }
    assertEquals("all", RowLimit.parse(" 0 ").toString());
    assertEquals("25", RowLimit.parse("25").toString());
  }

  @Test
  void badSqlAndUnknownFormatsAreOneLineErrors() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> run(lakehouse, ResultFormat.TABLE, 10, "SELECT * FROM no_such_table"));
    assertTrue(e.getMessage().startsWith("SQL statement 1 failed: "), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    FraudLakeException f = assertThrows(FraudLakeException.class, () -> ResultFormat.parse("xml"));
    assertEquals("unknown format 'xml'; use one of table, csv, json", f.getMessage());
  }
}
