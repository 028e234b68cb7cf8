package io.fraudlake.spark;

import io.fraudlake.config.FraudLakeConfig;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.state.StateStore;

/**
 * Builds the one SparkSession a job uses. Under spark-submit or on Databricks the session (and its
 * master) already exists and is reused; locally, the configured master and Delta's extensions are set.
 */
public final class SparkSessions {
  /** The Spark contexts that close this JVM's state stores when they stop. */
  private static final Set<SparkContext> CLOSING_STATE_STORES = Collections.newSetFromMap(new WeakHashMap<>());

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
    SparkSession spark = builder.getOrCreate();
    closeStateStoresOnStop(spark);
    return spark;
  }

  /**
   * Makes stopping {@code spark} close the state stores this JVM has loaded (the streams' RocksDB
   * instances). Spark's own stop leaves them open, and a RocksDB compaction still running as the
   * JVM exits calls back into a JVM that is gone: the process crashes (SIGSEGV in RocksDB's logger)
   * after its work is done, and a job that succeeded exits with 134. Where executors run in other
   * JVMs this closes nothing on the driver, and those JVMs are Spark's to shut down.
   */
  public static void closeStateStoresOnStop(SparkSession spark) {
    SparkContext context = spark.sparkContext();
    synchronized (CLOSING_STATE_STORES) {
      if (!CLOSING_STATE_STORES.add(context)) {
        return;
      }
    }
    // The listener bus delivers the application's end before SparkContext.stop returns.
    context.addSparkListener(new SparkListener() {
      @Override
      public void onApplicationEnd(SparkListenerApplicationEnd end) {
        StateStore.stop();
      }
    });
  }

  /** What every session that reads or writes Delta tables needs. */
  public static Map<String, String> deltaSettings() {
    return Map.of(
        "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.databricks.delta.schema.autoMerge.enabled", "false");
  }
}
