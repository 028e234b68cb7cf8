package io.fraudlake.silver;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** The silver engine's state as Spark keeps it in a query's checkpoint. */
public final class SilverState {
  private SilverState() {}

  /**
   * Events waiting for the watermark in the state of the query checkpointed at {@code checkpoint}
   * (0 before its first batch), read with Spark's state data source.
   */
  public static long pendingCount(SparkSession spark, Path checkpoint) {
    if (!Files.isDirectory(checkpoint.resolve("state"))) {
      return 0;
    }
    return spark.read().format("statestore")
        .option("path", checkpoint.toString())
        .option("stateVarName", "pending")
        .load()
        .count();
  }
}
