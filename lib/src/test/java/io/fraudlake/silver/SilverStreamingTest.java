package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The stream must give the batch result row for row, bit for bit, whatever the micro-batches, as
 * long as events arrive within the lateness; later events are written, flagged, never dropped.
 */
class SilverStreamingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant START = Instant.parse("2024-03-10T08:00:00Z");

  /** Generated rows, dense enough that windows hold several transactions. */
  private static List<String> generated(long seed) {
    GeneratorOptions options = new GeneratorOptions(900, 10, 0.05, START, Duration.ofHours(2), 1, seed, 1.0, 0.05, 0.2);
    Path dir = SharedSpark.tempDir("gen");
    try {
      return Files.readAllLines(new TransactionGenerator(options).writeTo(dir, "t").files().get(0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long millis(String line) {
    try {
      var ts = JSON.readTree(line).get("event_timestamp");
      return ts.isNumber() ? ts.asLong() : Instant.parse(ts.asText()).toEpochMilli();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lands {@code lines} as files of random sizes (one bronze batch and one silver batch each). */
  private static void landInRandomChunks(Lakehouse lakehouse, List<String> lines, Random random, int chunks) {
    int from = 0;
    for (int c = 0; c < chunks; c++) {
      int to = c == chunks - 1 ? lines.size() : Math.min(lines.size(), from + 1 + random.nextInt(2 * lines.size() / chunks));
      Pipelines.land(lakehouse, String.format("chunk-%02d.jsonl", c), lines.subList(from, to));
      from = to;
    }
  }

  private static Lakehouse lakehouse(String lateness) {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of(
        "landing.max-files-per-trigger", "1",
        "silver.max-files-per-trigger", "1",
        "features.lateness", lateness));
    return SharedSpark.lakehouse(config);
  }

  private static void assertStreamEqualsBatch(Lakehouse lakehouse, SilverStats streamed) {
    new SilverJob(lakehouse).runBatch("silver_batch");
    Dataset<Row> stream = lakehouse.read(Tables.SILVER);
    Dataset<Row> batch = lakehouse.read("silver_batch");
    // exceptAll compares every column exactly: same rows, same doubles bit for bit.
    assertEquals(0, stream.exceptAll(batch).count(), "stream rows that differ from batch");
    assertEquals(batch.count(), stream.count() + streamed.waiting());
    assertEquals(0, stream.filter("arrived_late").count());
    assertTrue(stream.filter("txn_count_5min > 2").count() > 20, "windows are not trivial");
  }

  @Test
  void inOrderEventsInRandomMicroBatchesWithResentDuplicates() {
    Lakehouse lakehouse = lakehouse("2 seconds");
    List<String> lines = new ArrayList<>(generated(21));
    Random random = new Random(7);
    // Re-sent events: a few early ones again near the end, one twice in a row.
    List<String> resent = List.of(lines.get(3), lines.get(40), lines.get(41));
    lines.addAll(lines.size() - 10, resent);
    lines.add(120, lines.get(119));
    landInRandomChunks(lakehouse, lines, random, 3);

    Pipelines.bronzeOnce(lakehouse);
    SilverStats streamed = Pipelines.silverOnce(lakehouse);

    assertTrue(streamed.batches() >= 3, "micro-batches: " + streamed.batches());
    assertEquals(4, streamed.duplicates());
    assertTrue(streamed.waiting() >= 1);
    assertStreamEqualsBatch(lakehouse, streamed);
  }

  @Test
  void theStateHasTheConfiguredPartitionsAndTheSessionKeepsItsOwn() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("state-store.partitions", "3")));
    String sessionPartitions = lakehouse.spark().conf().get("spark.sql.shuffle.partitions");
    Pipelines.land(lakehouse, "events.jsonl", generated(5).subList(0, 40));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);

    java.nio.file.Path operator = SilverJob.checkpoint(lakehouse).resolve("state").resolve("0");
    try (java.util.stream.Stream<java.nio.file.Path> partitions = java.nio.file.Files.list(operator)) {
      assertEquals(List.of("0", "1", "2"), partitions.filter(java.nio.file.Files::isDirectory)
          .map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).sorted().toList());
    }
    assertEquals(sessionPartitions, lakehouse.spark().conf().get("spark.sql.shuffle.partitions"));
  }

  @Test
  void refusesAStatePartitionCountBelowOne() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("state-store.partitions", "0")));
    Pipelines.land(lakehouse, "events.jsonl", generated(5).subList(0, 5));
    Pipelines.bronzeOnce(lakehouse);
    io.fraudlake.FraudLakeException e = org.junit.jupiter.api.Assertions.assertThrows(io.fraudlake.FraudLakeException.class,
        () -> Pipelines.silverOnce(lakehouse));
    assertEquals("fraudlake.state-store.partitions must be at least 1, got 0", e.getMessage());
  }

  @Test
  void outOfOrderEventsWithinTheLatenessAndThenOneBeyondIt() {
    Lakehouse lakehouse = lakehouse("60 seconds");
    Random random = new Random(99);
    List<String[]> keyed = new ArrayList<>();
    for (String line : generated(33)) {
      // Arrival order = event time plus a delay under the lateness (50 s of 60 s).
      keyed.add(new String[] {String.valueOf(millis(line) + random.nextInt(50_000)), line});
    }
    keyed.sort(Comparator.comparingLong(k -> Long.parseLong(k[0])));
    List<String> arrival = keyed.stream().map(k -> k[1]).toList();
    landInRandomChunks(lakehouse, arrival, random, 3);

    Pipelines.bronzeOnce(lakehouse);
    SilverStats streamed = Pipelines.silverOnce(lakehouse);
    assertEquals(0, streamed.late());
    assertStreamEqualsBatch(lakehouse, streamed);

    // Now an event 30 minutes older than the watermark for a card that has rows in silver.
    Row neighbour = lakehouse.read(Tables.SILVER).orderBy("event_timestamp").first();
    long before = lakehouse.read(Tables.SILVER).count();
    Instant t = neighbour.getTimestamp(neighbour.fieldIndex("event_timestamp")).toInstant().plusSeconds(1);
    String late = "{\"TransactionID\":\"late-1\",\"event_timestamp\":\"" + t + "\",\"card_id\":\""
        + neighbour.getAs("card_id") + "\",\"TransactionAmt\":2.5,\"ProductCD\":\"Z\"}";
    Pipelines.land(lakehouse, "late.jsonl", List.of(late));
    Pipelines.bronzeOnce(lakehouse);
    SilverStats again = Pipelines.silverOnce(lakehouse);

    assertEquals(1, again.late());
    Row written = lakehouse.read(Tables.SILVER).filter("TransactionID = 'late-1'").first();
    assertEquals(true, written.getAs("arrived_late"));
    // Its own window counts what had arrived: at least itself and the neighbour one second before.
    assertTrue((Long) written.getAs("txn_count_5min") >= 2);
    assertEquals(before + 1, lakehouse.read(Tables.SILVER).count());
    // Rows already written are not rewritten: the neighbour keeps the features it was given.
    Row same = lakehouse.read(Tables.SILVER).filter("TransactionID = '" + neighbour.getAs("TransactionID") + "'").first();
    assertEquals((Long) neighbour.getAs("txn_count_5min"), (Long) same.getAs("txn_count_5min"));
  }
}
