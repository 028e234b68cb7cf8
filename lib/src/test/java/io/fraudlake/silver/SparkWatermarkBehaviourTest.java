package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.api.java.function.FlatMapGroupsWithStateFunction;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.GroupStateTimeout;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;

/**
 * Why silver keeps its own event-time state: this pins down, on the Spark version we build with,
 * that flatMapGroupsWithState with an event-time timeout silently drops rows older than the
 * watermark before the user function sees them. If a Spark upgrade changes that, this test says so.
 */
class SparkWatermarkBehaviourTest {
  private static final ConcurrentLinkedQueue<String> SEEN = new ConcurrentLinkedQueue<>();

  @Test
  void flatMapGroupsWithStateDropsRowsBehindTheWatermark() throws Exception {
    SparkSession spark = SharedSpark.session();
    Path input = SharedSpark.tempDir("wm-input");
    // One file per micro-batch, in this order (the file source reads by modification time).
    write(input, 1, "{\"id\":\"on-time-100s\",\"k\":\"c\",\"t\":\"2024-01-01T00:01:40Z\"}");
    write(input, 2, "{\"id\":\"on-time-105s\",\"k\":\"c\",\"t\":\"2024-01-01T00:01:45Z\"}");
    write(input, 3, "{\"id\":\"late-10s\",\"k\":\"c\",\"t\":\"2024-01-01T00:00:10Z\"}\n"
        + "{\"id\":\"on-time-110s\",\"k\":\"c\",\"t\":\"2024-01-01T00:01:50Z\"}");

    Dataset<Row> events = spark.readStream().schema("id STRING, k STRING, t TIMESTAMP")
        .option("maxFilesPerTrigger", 1).json(input.toString())
        .withWatermark("t", "10 seconds");
    Dataset<String> seen = events
        .groupByKey((MapFunction<Row, String>) r -> r.getString(1), Encoders.STRING())
        .flatMapGroupsWithState((FlatMapGroupsWithStateFunction<String, Row, Long, String>) (key, rows, state) -> {
          List<String> ids = new ArrayList<>();
          rows.forEachRemaining(r -> ids.add(r.getString(0)));
          return ids.iterator();
        }, OutputMode.Update(), Encoders.LONG(), Encoders.STRING(), GroupStateTimeout.EventTimeTimeout());
    StreamingQuery query = seen.writeStream()
        .outputMode("update")
        .trigger(Trigger.AvailableNow())
        .option("checkpointLocation", SharedSpark.tempDir("wm-checkpoint").toString())
        .foreachBatch((VoidFunction2<Dataset<String>, Long>) (batch, id) -> SEEN.addAll(batch.collectAsList()))
        .start();
    query.awaitTermination();

    Set<String> ids = new TreeSet<>(SEEN);
    // The row 90 s behind the watermark never reached the function: no error, no metric the user sees.
    // (Spark filters late rows with the previous batch's watermark: the third batch is the first
    // whose filter has moved past 10 s.)
    assertEquals(Set.of("on-time-100s", "on-time-105s", "on-time-110s"), ids);
  }

  private static void write(Path dir, int n, String lines) throws IOException {
    Path file = dir.resolve(n + ".json");
    Files.writeString(file, lines + "\n");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L + n * 10_000L));
  }
}
