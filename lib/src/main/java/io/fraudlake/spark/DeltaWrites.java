package io.fraudlake.spark;

import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Writes from inside {@code foreachBatch} that are safe to repeat. Spark re-runs a micro-batch after
 * a failure with the same batch id; Delta skips a write whose (txnAppId, txnVersion) it has already
 * committed, so a retried batch appends nothing twice.
 */
public final class DeltaWrites {
  /** The local property Spark's stream thread sets to the query's id, which survives restarts. */
  private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  private DeltaWrites() {}

  /**
   * A writer id for this stream: the query id is stored in the checkpoint, so it stays the same
   * across restarts and changes when the checkpoint is deleted (batch ids then start again at 0 and
   * must not be mistaken for already-committed ones).
   */
  public static String appId(SparkSession spark, String purpose) {
    String queryId = spark.sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    return "fraudlake-" + purpose + "-" + (queryId == null ? "batch" : queryId);
  }

  /**
   * Appends unless this table already committed {@code (appId, version)}: Delta records the pair in
   * the same commit as the rows, so a micro-batch replayed after a crash is skipped atomically.
   */
  public static void appendOnce(Lakehouse lakehouse, Dataset<Row> rows, String table, String appId, long version) {
    DataFrameWriter<Row> writer = rows.write().format("delta").mode("append")
        .option("txnAppId", appId)
        .option("txnVersion", version);
    save(lakehouse, writer, table);
  }

  static void save(Lakehouse lakehouse, DataFrameWriter<Row> writer, String table) {
    if (lakehouse.catalogMode()) {
      writer.saveAsTable(lakehouse.qualifiedName(table));
    } else {
      writer.save(lakehouse.path(table).toString());
    }
  }
}
