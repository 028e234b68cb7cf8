package io.fraudlake.silver;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** The silver engine's state as Spark keeps it in a query's checkpoint. */
public final class SilverState {
  private SilverState() {}

  /**
   * Refuses to start {@code query} on a new checkpoint when silver already holds rows: the engine's
   * state (the IDs seen, the events waiting) went with the old checkpoint, and the stream would read
   * its input from the start and write those transactions again.
   */
  public static void requireStateFor(Lakehouse lakehouse, Path checkpoint, String query) {
    boolean fresh = !Files.isDirectory(checkpoint.resolve("commits"));
    if (fresh && lakehouse.latestVersion(Tables.SILVER) > 0 && !lakehouse.read(Tables.SILVER).isEmpty()) {
      throw new FraudLakeException(Tables.SILVER + " already holds rows but the `" + query + "` stream's checkpoint " + checkpoint
          + " is new: the state that knew them is gone and the stream would write them again. Use a new --home, or "
          + "delete silver too (" + lakehouse.qualifiedName(Tables.SILVER) + ") and let the stream rebuild it");
    }
  }

  /**
   * Events waiting for the watermark in the state of the query checkpointed at {@code checkpoint}
   * (0 before its first batch), read with Spark's state data source.
   */
  public static long pendingCount(SparkSession spark, Path checkpoint) {
    return Files.isDirectory(checkpoint.resolve("state")) ? rows(spark, checkpoint, "pending") : 0;
  }

  /** The rows (one per card, list entry or map entry) of the engine's state variable {@code variable} at {@code checkpoint}. */
  public static long rows(SparkSession spark, Path checkpoint, String variable) {
    // The state store provider reports to the driver's state store coordinator, which Spark only
    // starts with the session's streaming query manager: in a process that has not started a stream
    // (a status check, a benchmark's report) the read would fail without this.
    spark.streams();
    return spark.read().format("statestore")
        .option("path", checkpoint.toString())
        .option("stateVarName", variable)
        .load()
        .count();
  }
}
