package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Crashes;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * A silver micro-batch Spark replays after a crash (its commit not written) must leave silver and
 * the engine's state exactly as one run does, whether the crash came after the silver append or
 * before it; and the stream must go on from there as if nothing happened.
 */
class SilverReplayTest {
  /** Events one second apart on three cards, {@code r-<from>} to {@code r-<to - 1>}. */
  static List<String> events(int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      lines.add(String.format("{\"TransactionID\":\"r-%02d\",\"event_timestamp\":\"2024-03-10T08:%02d:%02dZ\",\"card_id\":\"card-%d\","
          + "\"TransactionAmt\":%d.5,\"ProductCD\":\"%s\"}", i, i / 60, i % 60, i % 3, i, i % 2 == 0 ? "W" : "C"));
    }
    return lines;
  }

  /** 40 events one second apart through bronze and silver: 37 emitted (older than the newest minus 2 s), 3 waiting. */
  private static Lakehouse firstRun() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("features.lateness", "2 seconds")));
    Pipelines.land(lakehouse, "events-1.jsonl", events(0, 40));
    Pipelines.bronzeOnce(lakehouse);
    SilverStats stats = Pipelines.silverOnce(lakehouse);
    assertEquals(37, lakehouse.read(Tables.SILVER).count());
    assertEquals(3, stats.waiting());
    return lakehouse;
  }

  private static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    assertEquals(0, expected.exceptAll(actual).count(), "rows missing");
    assertEquals(0, actual.exceptAll(expected).count(), "rows not expected");
  }

  /** The stream goes on: after more events, silver equals the batch job over the same bronze but for the waiting tail. */
  static void assertTheStreamGoesOn(Lakehouse lakehouse) {
    Pipelines.land(lakehouse, "events-2.jsonl", events(40, 70));
    Pipelines.bronzeOnce(lakehouse);
    SilverStats stats = Pipelines.silverOnce(lakehouse);
    new SilverJob(lakehouse).runBatch("silver_batch");
    Dataset<Row> stream = lakehouse.read(Tables.SILVER);
    assertEquals(67, stream.count());
    assertEquals(3, stats.waiting());
    assertSameRows(lakehouse.read("silver_batch").where("TransactionID < 'r-67'"), stream);
  }

  @Test
  void aBatchReplayedAfterItCommittedChangesNothing() {
    Lakehouse lakehouse = firstRun();
    List<Row> before = lakehouse.read(Tables.SILVER).collectAsList();

    Crashes.replayFrom(SilverJob.checkpoint(lakehouse), Crashes.newestTaggedBatch(lakehouse, Tables.SILVER));
    SilverStats replay = Pipelines.silverOnce(lakehouse);

    assertSameRows(lakehouse.spark().createDataFrame(before, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
    assertEquals(3, replay.waiting());
    assertTheStreamGoesOn(lakehouse);
  }

  @Test
  void aBatchThatDiedBeforeItsSilverAppendLandedWritesItOnReplay() {
    Lakehouse lakehouse = firstRun();
    List<Row> before = lakehouse.read(Tables.SILVER).collectAsList();

    Crashes.replayFrom(SilverJob.checkpoint(lakehouse), Crashes.newestTaggedBatch(lakehouse, Tables.SILVER));
    Crashes.dropLastDeltaCommit(lakehouse, Tables.SILVER);
    assertEquals(0, lakehouse.read(Tables.SILVER).count());
    SilverStats replay = Pipelines.silverOnce(lakehouse);

    assertSameRows(lakehouse.spark().createDataFrame(before, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
    assertEquals(3, replay.waiting());
    assertTheStreamGoesOn(lakehouse);
  }
}
