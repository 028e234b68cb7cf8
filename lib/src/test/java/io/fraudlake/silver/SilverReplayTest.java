package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ProcessRestart;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Silver appends tagged with the batch id instead of merging: a micro-batch Spark replays after a
 * crash must leave silver and the pending events exactly as one run does.
 */
class SilverReplayTest {
  private static Lakehouse lakehouseWithBronze() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("features.lateness", "2 seconds")));
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      lines.add(String.format("{\"TransactionID\":\"r-%02d\",\"event_timestamp\":\"2024-03-10T08:00:%02dZ\",\"card_id\":\"card-%d\","
          + "\"TransactionAmt\":%d.5,\"ProductCD\":\"%s\"}", i, i, i % 3, i, i % 2 == 0 ? "W" : "C"));
    }
    Pipelines.land(lakehouse, "events.jsonl", lines);
    Pipelines.bronzeOnce(lakehouse);
    return lakehouse;
  }

  private static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    assertEquals(0, expected.exceptAll(actual).count());
    assertEquals(0, actual.exceptAll(expected).count());
  }

  /** Silver and the pending table after batch 0 ran once over {@link #lakehouseWithBronze()}'s events. */
  private record FirstRun(Lakehouse lakehouse, SilverJob job, Dataset<Row> bronze, List<Row> silver, List<Row> pending) {
    static FirstRun of() {
      Lakehouse lakehouse = lakehouseWithBronze();
      SilverJob job = new SilverJob(lakehouse);
      lakehouse.createIfMissing(Tables.SILVER, SilverJob.SILVER_SCHEMA);
      Dataset<Row> bronze = lakehouse.read(Tables.BRONZE);
      job.processBatch(bronze, 0L);
      return new FirstRun(lakehouse, job, bronze, lakehouse.read(Tables.SILVER).collectAsList(),
          readPending(lakehouse, job).collectAsList());
    }

    void assertUnchanged() {
      SparkSession spark = lakehouse.spark();
      assertSameRows(spark.createDataFrame(silver, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
      Dataset<Row> now = readPending(lakehouse, job);
      assertSameRows(spark.createDataFrame(pending, now.schema()), now);
    }
  }

  @Test
  void aBatchReplayedAfterItCommittedChangesNothing() {
    FirstRun first = FirstRun.of();
    ProcessRestart.forgetEverythingCommitted();
    first.job().processBatch(first.bronze(), 0L);

    assertEquals(37, first.silver().size(), "events older than the newest minus the lateness (37 s) are emitted");
    assertEquals(3, first.pending().size());
    first.assertUnchanged();
  }

  @Test
  void aBatchThatCrashedBetweenTheSilverAppendAndThePendingRewriteIsCompletedByItsReplay() throws IOException {
    FirstRun first = FirstRun.of();
    // The crash: the pending snapshot's write never completed (its data files may stay, unmarked).
    Files.delete(first.job().pendingPath().resolve("v0").resolve("_SUCCESS"));
    ProcessRestart.forgetEverythingCommitted();
    assertEquals(0, readPending(first.lakehouse(), first.job()).count());

    first.job().processBatch(first.bronze(), 0L);

    first.assertUnchanged();
  }

  private static Dataset<Row> readPending(Lakehouse lakehouse, SilverJob job) {
    return job.pendingEvents();
  }
}
