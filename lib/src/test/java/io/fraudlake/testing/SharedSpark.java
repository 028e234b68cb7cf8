package io.fraudlake.testing;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.PlainLocalLogStore;
import io.fraudlake.spark.SparkSessions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The one local SparkSession every test in a JVM shares (starting Spark costs seconds), with Delta
 * configured as in production and small shuffles so tests stay quick on two cores.
 */
public final class SharedSpark {
  private static SparkSession session;

  private SharedSpark() {}

  public static synchronized SparkSession session() {
    // A command run in-process stops Spark when it ends (as it must on a laptop); the next test
    // then gets a new session rather than a stopped one.
    if (session == null || session.sparkContext().isStopped()) {
      SparkSession.Builder builder = SparkSession.builder()
          .master("local[2]")
          .appName("fraudlake-tests")
          .config("spark.ui.enabled", "false")
          .config("spark.ui.showConsoleProgress", "false")
          .config("spark.sql.shuffle.partitions", "2")
          .config("spark.default.parallelism", "2")
          .config("spark.sql.session.timeZone", "UTC")
          .config("spark.databricks.delta.snapshotPartitions", "2")
          .config("spark.sql.streaming.minBatchesToRetain", "5")
          // As conf/local.conf sets it for every local run.
          .config("spark.delta.logStore.file.impl", PlainLocalLogStore.class.getName())
          .config("spark.sql.warehouse.dir", tempDir("warehouse").toUri().toString());
      SparkSessions.deltaSettings().forEach(builder::config);
      session = builder.getOrCreate();
      SparkSessions.closeStateStoresOnStop(session);
    }
    return session;
  }

  /** A fresh runtime folder (landing, lakehouse, checkpoints, registry) for one test. */
  public static FraudLakeConfig freshConfig() {
    return FraudLakeConfig.defaults(tempDir("home"));
  }

  public static FraudLakeConfig freshConfig(Map<String, String> overrides) {
    return FraudLakeConfig.defaults(tempDir("home"), overrides);
  }

  public static Lakehouse lakehouse(FraudLakeConfig config) {
    return new Lakehouse(session(), config);
  }

  public static Path tempDir(String prefix) {
    try {
      Path dir = Files.createTempDirectory("fraudlake-" + prefix + "-");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The project's root folder (notebooks/, conf/), as surefire passes it. */
  public static Path projectDir() {
    return Path.of(System.getProperty("fraudlake.project.dir", "..")).toAbsolutePath().normalize();
  }

  /** One of the ODDS data sets kept in the repository ({@code data/odds/<name>.csv}). */
  public static Path oddsFile(String name) {
    return projectDir().resolve("data/odds/" + name + ".csv");
  }
}
