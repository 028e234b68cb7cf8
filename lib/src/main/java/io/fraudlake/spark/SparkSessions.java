package io.fraudlake.spark;

import io.fraudlake.config.FraudLakeConfig;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Builds the one SparkSession a job uses. Under spark-submit or on Databricks the session (and its
 * master) already exists and is reused; locally, the configured master and Delta's extensions are set.
 */
public final class SparkSessions {
  private SparkSessions() {}

  public static SparkSession getOrCreate(FraudLakeConfig config) {
    SparkSession.Builder builder = SparkSession.builder().appName(config.string("spark.app-name"));
    boolean masterGivenByLauncher = System.getProperty("spark.master") != null;
    if (!masterGivenByLauncher && SparkSession.getActiveSession().isEmpty()) {
      builder.master(config.string("spark.master"));
    }
    deltaSettings().forEach(builder::config);
    builder
        .config("spark.sql.shuffle.partitions", config.integer("spark.shuffle-partitions"))
        // The progress bar redraws one line with \r: useful on a terminal, noise in a log file or a pipe.
        .config("spark.ui.showConsoleProgress", config.flag("spark.console-progress") && System.console() != null)
        .config("spark.sql.session.timeZone", "UTC")
        // A local session keeps its catalog in memory; tables are registered from their Delta folders.
        .config("spark.sql.warehouse.dir", config.lakehouseDir().resolve("_warehouse").toUri().toString());
    config.stringMap("spark.conf").forEach(builder::config);
    return builder.getOrCreate();
  }

  /** What every session that reads or writes Delta tables needs. */
  public static Map<String, String> deltaSettings() {
    return Map.of(
        "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.databricks.delta.schema.autoMerge.enabled", "false");
  }
}
