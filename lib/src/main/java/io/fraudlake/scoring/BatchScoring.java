package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Backfill: scores a whole table in one pass into gold (or another table) with the gold column
 * contract. Rows are merged on TransactionID and only new transactions are inserted, so re-running
 * a backfill, or backfilling what a stream already scored, never doubles a row.
 */
public final class BatchScoring {
  private BatchScoring() {}

  public record Result(String input, String output, long inputRows, long inserted, String model) {
    public long alreadyPresent() {
      return inputRows - inserted;
    }
  }

  public static Result run(Lakehouse lakehouse, ScoringModel model, String input, String output) {
    Dataset<Row> rows = read(lakehouse, input);
    return run(lakehouse, model, rows, input, output);
  }

  public static Result run(Lakehouse lakehouse, ScoringModel model, Dataset<Row> rows, String inputName, String output) {
    requireTableName(output);
    if (output.equals(Tables.GOLD) && inputName.equals(Tables.SILVER)
        && !ScoringStream.checkpointOf(lakehouse).isFresh()) {
      // The stream would append these transactions again when it reaches them.
      throw new FraudLakeException("silver_transactions_base is scored by the scoring stream (checkpoint "
          + ScoringStream.checkpointOf(lakehouse).dir() + "); use `score --once` instead of a backfill into gold");
    }
    SignatureCheck.require(rows.schema(), inputName, model);
    Dataset<Row> unique = rows.dropDuplicates(GoldSchema.TRANSACTION_ID);
    Dataset<Row> scored = Scorer.score(unique, model, new Timestamp(System.currentTimeMillis()));
    lakehouse.createIfMissing(output, GoldSchema.PREDICTIONS);
    long inputRows = unique.count();
    long inserted = DeltaTables.insertNew(lakehouse, scored, output);
    return new Result(inputName, output, inputRows, inserted, model.label());
  }

  /**
   * A contract table name (or any table of the catalog), or a path: a Delta folder, Parquet, or CSV
   * with a header (CSV columns are typed by inference, so they must match the signature's types).
   */
  public static Dataset<Row> read(Lakehouse lakehouse, String input) {
    if (Tables.ALL.contains(input)) {
      return lakehouse.read(input);
    }
    SparkSession spark = lakehouse.spark();
    Path path = Path.of(input);
    if (!Files.exists(path)) {
      if (spark.catalog().tableExists(input)) {
        return spark.read().table(input);
      }
      throw new FraudLakeException("input not found: " + input + " (neither a table nor a path)");
    }
    String lower = input.toLowerCase(Locale.ROOT);
    if (Files.isDirectory(path.resolve("_delta_log"))) {
      return spark.read().format("delta").load(input);
    }
    if (lower.endsWith(".csv")) {
      return spark.read().option("header", true).option("inferSchema", true).csv(input);
    }
    return spark.read().parquet(input);
  }

  private static void requireTableName(String output) {
    if (!output.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new FraudLakeException("--output must be a table name (letters, digits, _), not '" + output + "'");
    }
  }
}
