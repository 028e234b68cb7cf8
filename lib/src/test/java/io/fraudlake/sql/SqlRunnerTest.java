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
import java.util.List;
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
