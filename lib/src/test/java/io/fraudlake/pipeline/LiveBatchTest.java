package io.fraudlake.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Crashes;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live pipeline's micro-batches, run as the real {@code run} query (one landing file per step,
 * each step an available-now run) over real Delta tables and its real checkpoint: its silver must
 * equal {@code silver --batch} over its bronze (no skew between the live path and training data),
 * its gold must hold one row per silver row, and a batch replayed after a crash at any point must
 * leave all of them as one run does.
 */
class LiveBatchTest {
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private Lakehouse lakehouse;
  private ProductionModel model;
  private int files;

  @BeforeEach
  void setUp() {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("features.lateness", "2 seconds", "scoring.alias-check-interval", "0s",
        "landing.max-files-per-trigger", "1", "features.dedupe-horizon", "10 minutes"));
    lakehouse = SharedSpark.lakehouse(config);
    Path modelDir = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("live-model"), 11);
    model = ProductionModel.load(ModelDirectorySource.of(modelDir, "fraud_isolation_forest"), Duration.ZERO);
  }

  @Test
  void silverEqualsTheBatchJobOverBronzeAndGoldScoresEachSilverRowOnce() {
    // Two cards; two copies of e-02 in one file: the batch job's rule picks one (same ingest time and
    // file, so the lower amount).
    step(event("e-01", 0, "card-a", 10.0, "W"), event("e-02", 4, "card-a", 250.0, "H"),
        event("e-02", 4, "card-a", 999.0, "C"), event("e-03", 5, "card-b", 40.0, "W"), "{not json");
    // A re-sent e-01 and a copy of e-03 with another time (both duplicates), and newer events that
    // move the watermark past the first file.
    step(event("e-01", 0, "card-a", 10.0, "W"), event("e-03", 7, "card-b", 40.0, "W"), event("e-04", 30, "card-a", 12.0, "C"),
        event("e-05", 31, "card-b", 41.0, "W"));
    // e-06 is 17 s behind the watermark when it arrives (late), for a card of its own, so no row
    // already in silver has it in its window; e-07 moves the watermark on.
    step(event("e-06", 12, "card-c", 70.0, "R"), event("e-07", 60, "card-a", 15.0, "W"));

    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(List.of("e-01", "e-02", "e-03", "e-04", "e-05", "e-06"), ids(silver), "e-07 waits for the watermark");
    assertEquals(1, LivePipeline.pendingCount(lakehouse));
    assertEquals(List.of("e-06"), ids(silver.where(col("arrived_late"))));
    assertEquals(250.0, silver.where("TransactionID = 'e-02'").first().<Double>getAs("TransactionAmt"), "the first copy is kept");
    assertEquals(1, lakehouse.read(Tables.QUARANTINE).count(), "the bad line is quarantined, not lost");
    assertEquals(10, lakehouse.read(Tables.BRONZE).count(), "bronze keeps every good line, copies too");

    new SilverJob(lakehouse).runBatch("silver_from_bronze");
    // The batch job keeps the first ingested copy of e-03 (at 5 s), as the stream does.
    Dataset<Row> batch = lakehouse.read("silver_from_bronze").where("TransactionID <> 'e-07'").drop("arrived_late");
    assertSameRows(batch, silver.drop("arrived_late"));
    assertExactlyOneGoldRowPerSilverRow();
    assertEquals(lakehouse.read(Tables.BRONZE).where("TransactionID = 'e-04'").first().<Object>getAs("ingested_at"),
        silver.where("TransactionID = 'e-04'").first().<Object>getAs("ingested_at"), "silver carries bronze's ingest time");
  }

  @Test
  void aReplayAfterSilverCommittedButBeforeGoldScoresTheSameRows() {
    step(event("r-01", 0, "card-a", 10.0, "W"), event("r-02", 10, "card-b", 20.0, "W"));
    step(event("r-03", 30, "card-a", 30.0, "W"), event("r-04", 31, "card-b", 40.0, "C"), event("r-05", 60, "card-a", 50.0, "W"));
    List<Row> silver = lakehouse.read(Tables.SILVER).collectAsList();
    long bronze = lakehouse.read(Tables.BRONZE).count();
    assertEquals(List.of("r-01", "r-02", "r-03", "r-04"), ids(lakehouse.read(Tables.SILVER)));

    // Killed while scoring the last batch that wrote gold: its gold append never landed, nor its commit.
    Crashes.replayFrom(LivePipeline.checkpointOf(lakehouse).dir(), Crashes.newestTaggedBatch(lakehouse, Tables.GOLD));
    Crashes.dropLastDeltaCommit(lakehouse, Tables.GOLD);
    assertTrue(lakehouse.read(Tables.GOLD).count() < silver.size());
    runOnce();

    assertSameRows(lakehouse.spark().createDataFrame(silver, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
    assertEquals(bronze, lakehouse.read(Tables.BRONZE).count(), "the replay appends nothing to bronze again");
    assertExactlyOneGoldRowPerSilverRow();
    // And the stream goes on from there as if nothing happened.
    step(event("r-06", 90, "card-a", 60.0, "W"));
    assertEquals(List.of("r-01", "r-02", "r-03", "r-04", "r-05"), ids(lakehouse.read(Tables.SILVER)));
    assertExactlyOneGoldRowPerSilverRow();
  }

  @Test
  void aReplayOfACommittedBatchChangesNothingAndOneWhoseAppendsDiedWritesThem() {
    step(event("c-01", 0, "card-a", 10.0, "W"));
    step(event("c-02", 30, "card-a", 30.0, "W"), event("c-03", 31, "card-b", 40.0, "C"), "[1, 2]");
    Snapshot first = snapshot();
    Crashes.replayFrom(LivePipeline.checkpointOf(lakehouse).dir(), Crashes.newestTaggedBatch(lakehouse, Tables.SILVER));
    runOnce();
    first.assertSame();

    // One batch that writes every table: a late event (emitted at once) and a bad line, which move
    // the watermark nowhere, so no other batch follows. Killed before any of its appends landed, it
    // writes them all on replay, bronze stamped with the batch time Spark logged for the first attempt.
    step(event("c-04", 10, "card-a", 20.0, "H"), "{\"TransactionID\": 7}");
    Snapshot second = snapshot();
    long batch = Crashes.uncommitLastBatch(LivePipeline.checkpointOf(lakehouse).dir());
    for (String table : List.of(Tables.BRONZE, Tables.QUARANTINE, Tables.SILVER, Tables.GOLD)) {
      assertEquals(batch, Crashes.newestTaggedBatch(lakehouse, table), table + " was appended by batch " + batch);
      Crashes.dropLastDeltaCommit(lakehouse, table);
    }
    runOnce();
    second.assertSame();
    assertExactlyOneGoldRowPerSilverRow();
  }

  /** Bronze, quarantine and silver as they are now, and gold's row count. */
  private record Snapshot(Lakehouse lakehouse, List<Row> bronze, List<Row> quarantine, List<Row> silver, long gold) {
    void assertSame() {
      assertSameRows(lakehouse.spark().createDataFrame(bronze, io.fraudlake.bronze.BronzeParser.BRONZE_SCHEMA), lakehouse.read(Tables.BRONZE));
      assertSameRows(lakehouse.spark().createDataFrame(quarantine, io.fraudlake.bronze.BronzeParser.QUARANTINE_SCHEMA),
          lakehouse.read(Tables.QUARANTINE));
      assertSameRows(lakehouse.spark().createDataFrame(silver, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
      assertEquals(gold, lakehouse.read(Tables.GOLD).count());
    }
  }

  private Snapshot snapshot() {
    return new Snapshot(lakehouse, lakehouse.read(Tables.BRONZE).collectAsList(), lakehouse.read(Tables.QUARANTINE).collectAsList(),
        lakehouse.read(Tables.SILVER).collectAsList(), lakehouse.read(Tables.GOLD).count());
  }

  @Test
  void lateEventsGetTheirWindowFromSilverAndOldCopiesAreCaughtThere() {
    // An hour-old history of card-a, then the present: the history leaves the engine's memory (the
    // dedupe horizon is 10 minutes here), but not silver.
    step(event("h-01", -3600, "card-a", 100.0, "W"), event("h-02", -3590, "card-a", 300.0, "H"),
        event("h-03", -3580, "card-z", 5.0, "W"));
    step(event("n-01", 0, "card-a", 10.0, "W"), event("n-02", 5, "card-b", 20.0, "W"));
    step(event("n-03", 40, "card-b", 30.0, "W"));
    // A re-sent h-02 (a duplicate only silver knows of now) and h-04, very late, whose window holds h-01 and h-02.
    step(event("h-02", -3590, "card-a", 300.0, "H"), event("h-04", -3570, "card-a", 50.0, "C"),
        event("n-04", 80, "card-b", 30.0, "W"));

    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(1, silver.where("TransactionID = 'h-02'").count(), "the re-sent event is a duplicate");
    Row late = silver.where("TransactionID = 'h-04'").first();
    assertTrue(late.<Boolean>getAs("arrived_late"));
    assertEquals(3L, late.<Long>getAs("txn_count_5min"), "h-01, h-02 and itself");
    assertEquals(150.0, late.<Double>getAs("avg_amount_5min"), 1e-9);
    assertEquals(3L, late.<Long>getAs("product_diversity_5min"));
    assertExactlyOneGoldRowPerSilverRow();
  }

  @Test
  void anEventLeavesInTheMicroBatchWhoseEventsMoveTheWatermarkPastIt() {
    // Two files, one micro-batch each: the second batch reads w-02 and so moves the watermark to
    // 8 s. w-01 is written by that batch, beside bronze's w-02, not by the batch after it.
    Pipelines.land(lakehouse, "batch-000.jsonl", List.of(event("w-01", 0, "card-a", 10.0, "W")));
    Pipelines.land(lakehouse, "batch-001.jsonl", List.of(event("w-02", 10, "card-b", 20.0, "W")));
    runOnce();

    assertEquals(List.of("w-01"), ids(lakehouse.read(Tables.SILVER)), "w-02 is within the lateness of the newest event");
    long readW02 = Crashes.newestTaggedBatch(lakehouse, Tables.BRONZE);
    assertEquals(1, readW02);
    assertEquals(readW02, Crashes.newestTaggedBatch(lakehouse, Tables.SILVER), "silver's w-01 and bronze's w-02 come from the same micro-batch");
    assertExactlyOneGoldRowPerSilverRow();
  }

  @Test
  void aLineDatedInTheFutureIsQuarantinedAndLeavesTheWatermarkWhereItWas() {
    step(event("x-01", 0, "card-a", 10.0, "W"), String.format(Locale.ROOT,
        "{\"TransactionID\":\"x-future\",\"event_timestamp\":\"2999-01-01T00:00:00Z\",\"card_id\":\"card-f\","
            + "\"TransactionAmt\":1.0,\"ProductCD\":\"W\",\"card_country\":\"US\",\"merchant_country\":\"US\"}"));
    step(event("x-02", 5, "card-a", 20.0, "W"));
    step(event("x-03", 30, "card-b", 30.0, "W"));

    List<Row> future = lakehouse.read(Tables.QUARANTINE).where("reason LIKE 'event_timestamp more than one day%'").collectAsList();
    assertEquals(1, future.size());
    assertTrue(future.get(0).<String>getAs("raw").contains("\"x-future\""), "quarantine keeps the line: " + future.get(0));
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(List.of("x-01", "x-02"), ids(silver));
    assertEquals(0, silver.where("arrived_late").count(), "the year-2999 line must not put the events after it behind the watermark");
    assertEquals(2L, silver.where("TransactionID = 'x-02'").first().<Long>getAs("txn_count_5min"));
  }

  @Test
  void theSeparateStreamsCannotFeedWhatTheLivePipelineFeeds() {
    step(event("f-01", 0, "card-a", 10.0, "W"));
    FraudLakeException bronze = assertThrows(FraudLakeException.class, () -> Pipelines.bronzeOnce(lakehouse));
    assertTrue(bronze.getMessage().contains("bronze_transactions is fed by the `run` stream"), bronze.getMessage());
    FraudLakeException silver = assertThrows(FraudLakeException.class, () -> Pipelines.silverOnce(lakehouse));
    assertTrue(silver.getMessage().contains("silver_transactions_base is fed by the `run` stream"), silver.getMessage());

    // Its checkpoint deleted, run would read landing from the start with no memory of the IDs silver holds.
    step(event("f-02", 30, "card-a", 11.0, "W"));
    io.fraudlake.testing.Crashes.deleteFolder(LivePipeline.checkpointOf(lakehouse).dir());
    FraudLakeException fresh = assertThrows(FraudLakeException.class, this::runOnce);
    assertTrue(fresh.getMessage().contains("silver_transactions_base already holds rows but the `run` stream's checkpoint"),
        fresh.getMessage());
  }

  @Test
  void theScoreStreamAfterTheLivePipelineDoesNotScoreItsRowsAgain() {
    step(event("g-01", 0, "card-a", 10.0, "W"), event("g-02", 5, "card-b", 20.0, "W"));
    step(event("g-03", 30, "card-a", 30.0, "W"));
    long gold = lakehouse.read(Tables.GOLD).count();
    assertEquals(2, gold);

    // A new score stream starts over all of silver, which gold already holds.
    scoreOnce();
    assertExactlyOneGoldRowPerSilverRow();
    step(event("g-04", 60, "card-b", 40.0, "W"));
    scoreOnce();
    assertExactlyOneGoldRowPerSilverRow();
  }

  private void scoreOnce() {
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);
  }

  /** Lands one file and runs the live pipeline over it (one micro-batch, and one more if the watermark moved). */
  private void step(String... lines) {
    Pipelines.land(lakehouse, String.format(Locale.ROOT, "batch-%03d.jsonl", files++), List.of(lines));
    runOnce();
  }

  private void runOnce() {
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, ScoringStatus.silent(), Trigger.AvailableNow())) {
      pipeline.awaitTermination();
    }
  }

  private static String event(String id, int secondsAfterT0, String card, double amount, String product) {
    return String.format(Locale.ROOT, "{\"TransactionID\":\"%s\",\"event_timestamp\":\"%s\",\"card_id\":\"%s\","
        + "\"TransactionAmt\":%s,\"ProductCD\":\"%s\",\"card_country\":\"US\",\"merchant_country\":\"US\"}",
        id, T0.plusSeconds(secondsAfterT0), card, amount, product);
  }

  private static List<String> ids(Dataset<Row> rows) {
    return rows.select("TransactionID").collectAsList().stream().map(r -> r.getString(0)).sorted().collect(Collectors.toList());
  }

  private static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    List<Row> missing = expected.exceptAll(actual).collectAsList();
    List<Row> extra = actual.exceptAll(expected).collectAsList();
    assertEquals(List.of(), missing, "rows expected but not there");
    assertEquals(List.of(), extra, "rows there but not expected");
  }

  private void assertExactlyOneGoldRowPerSilverRow() {
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
  }
}
