package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.silver.SilverEngine;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.state.StateStore;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
  @Test
  void stoppingTheSessionClosesTheStateStoresItsStreamsLoaded() throws Exception {
    SparkSession spark = SharedSpark.session();
    FraudLakeConfig config = SharedSpark.freshConfig();
    SilverEngine.stateStoreSettings(config).forEach((k, v) -> spark.conf().set(k, v));
    Path lines = Files.createDirectories(config.home().resolve("lines"));
    Files.writeString(lines.resolve("part-0.txt"), "card-1\ncard-2\ncard-1\n");

    StreamingQuery counts = spark.readStream().format("text").load(lines.toString())
        .groupBy("value").count()
        .writeStream().outputMode("update").format("noop")
        .option("checkpointLocation", config.home().resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow())
        .start();
    counts.awaitTermination();
    // The query is over, but its RocksDB stores stay loaded in this JVM, maintained in the background.
    assertTrue(StateStore.isMaintenanceRunning(), "a stateful stream should have loaded state stores");

    spark.stop();

    assertFalse(StateStore.isMaintenanceRunning(), "stopping Spark should have closed the state stores");
  }
}
