package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;

/** What a running command shares: its configuration and, once asked for, Spark and the lakehouse. */
final class JobContext implements AutoCloseable {
  private final FraudLakeConfig config;
  private SparkSession spark;
  private Lakehouse lakehouse;

  JobContext(FraudLakeConfig config) {
    this.config = config;
  }

  FraudLakeConfig config() {
    return config;
  }

  SparkSession spark() {
    if (spark == null) {
      spark = SparkSessions.getOrCreate(config);
    }
    return spark;
  }

  Lakehouse lakehouse() {
    if (lakehouse == null) {
      lakehouse = new Lakehouse(spark(), config);
    }
    return lakehouse;
  }

  @Override
  public void close() {
    // On Databricks the session belongs to the cluster; a task must not stop it.
    if (spark != null && config.flag("spark.stop-on-exit")) {
      // A checkpoint cut short by the stop would only be written again later; letting it finish is cheaper.
      io.fraudlake.spark.DeltaCheckpoints.awaitQueued(java.time.Duration.ofSeconds(60));
      spark.stop();
    }
  }
}
