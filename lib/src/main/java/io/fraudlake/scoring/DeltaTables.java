package io.fraudlake.scoring;

import io.delta.tables.DeltaTable;
import io.fraudlake.spark.Lakehouse;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What scoring needs of Delta beyond the shared idempotent append ({@link io.fraudlake.spark.DeltaWrites}):
 * insert-only merges for backfills.
 */
final class DeltaTables {
  private DeltaTables() {}

  /**
   * Inserts the rows whose TransactionID the table does not hold yet. Returns the number inserted.
   * Re-running with the same input inserts nothing.
   */
  static long insertNew(Lakehouse lakehouse, Dataset<Row> rows, String table) {
    DeltaTable target = lakehouse.deltaTable(table);
    long before = lakehouse.latestVersion(table);
    target.as("gold")
        .merge(rows.as("new"), "gold." + GoldSchema.TRANSACTION_ID + " = new." + GoldSchema.TRANSACTION_ID)
        .whenNotMatched().insertAll()
        .execute();
    Row last = target.history(1).select("version", "operationMetrics").first();
    if (last.getLong(0) == before) {
      return 0L; // a merge that inserts nothing commits nothing
    }
    Map<String, String> metrics = last.getJavaMap(1);
    String inserted = metrics == null ? null : metrics.get("numTargetRowsInserted");
    return inserted == null ? 0L : Long.parseLong(inserted);
  }
}
