package io.fraudlake.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ProcessRestart;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live pipeline's micro-batch, driven the way Spark drives it (batch ids, replays) over real
 * landing files and Delta tables: its silver must equal {@code silver --batch} over its bronze (no
 * skew between the live path and training data), its gold must hold one row per silver row, and a
 * replay after a crash at any point must leave all of them as one run does.
 */
class LiveBatchTest {
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
  private static final String QUERY_ID = "sql.streaming.queryId";

  private Lakehouse lakehouse;
  private ProductionModel model;
  private int files;

  @BeforeEach
  void setUp() {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("features.lateness", "2 seconds", "scoring.alias-check-interval", "0s"));
    lakehouse = SharedSpark.lakehouse(config);
    Path modelDir = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("live-model"), 11);
    model = ProductionModel.load(ModelDirectorySource.of(modelDir, "fraud_isolation_forest"), Duration.ZERO);
    // What Spark's stream thread carries: the writer ids of every append derive from it.
    SharedSpark.session().sparkContext().setLocalProperty(QUERY_ID, "live-test-" + UUID.randomUUID());
  }

  @AfterEach
  void clearQueryId() {
    SharedSpark.session().sparkContext().setLocalProperty(QUERY_ID, null);
  }

  @Test
  void silverEqualsTheBatchJobOverBronzeAndGoldScoresEachSilverRowOnce() {
    LiveBatch live = newBatch();
    // Batch 0: two cards; two copies of e-02 in one batch: the batch job's rule picks one (same ingest
    // time and file, so the lower amount).
    run(live, 0, event("e-01", 0, "card-a", 10.0, "W"), event("e-02", 4, "card-a", 250.0, "H"),
        event("e-02", 4, "card-a", 999.0, "C"), event("e-03", 5, "card-b", 40.0, "W"), "{not json");
    // Batch 1: a re-sent e-01 (dropped), and newer events that move the watermark past batch 0.
    run(live, 1, event("e-01", 0, "card-a", 10.0, "W"), event("e-04", 30, "card-a", 12.0, "C"),
        event("e-05", 31, "card-b", 41.0, "W"));
    // Batch 2: e-06 is 20 s behind the watermark when it arrives (late), for a card of its own, so
    // no row already in silver has it in its window; e-07 moves the watermark on.
    run(live, 2, event("e-06", 12, "card-c", 70.0, "R"), event("e-07", 60, "card-a", 15.0, "W"));

    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(List.of("e-01", "e-02", "e-03", "e-04", "e-05", "e-06"), ids(silver), "e-07 waits for the watermark");
    assertEquals(List.of("e-06"), ids(silver.where(col("arrived_late"))));
    assertEquals(250.0, silver.where("TransactionID = 'e-02'").first().<Double>getAs("TransactionAmt"), "the first copy is kept");
    assertEquals(1, lakehouse.read(Tables.QUARANTINE).count(), "the bad line is quarantined, not lost");
    assertEquals(9, lakehouse.read(Tables.BRONZE).count(), "bronze keeps every good line, copies too");

    new SilverJob(lakehouse).runBatch("silver_from_bronze");
    Dataset<Row> batch = lakehouse.read("silver_from_bronze").where("TransactionID <> 'e-07'").drop("arrived_late");
    assertSameRows(batch, silver.drop("arrived_late"));
    assertExactlyOneGoldRowPerSilverRow();
  }

  @Test
  void aReplayAfterSilverCommittedButBeforeGoldScoresTheSameRows() {
    LiveBatch live = newBatch();
    run(live, 0, event("r-01", 0, "card-a", 10.0, "W"), event("r-02", 10, "card-b", 20.0, "W"));
    assertEquals(List.of("r-01"), ids(lakehouse.read(Tables.SILVER)));

    LiveBatch crashing = new LiveBatch(lakehouse, lakehouse.checkpoint(LivePipeline.QUERY_NAME), (rows, id) -> {
      throw new IllegalStateException("killed while scoring");
    });
    Dataset<Row> lines = land(event("r-03", 30, "card-a", 30.0, "W"), event("r-04", 31, "card-b", 40.0, "C"),
        event("r-05", 60, "card-a", 50.0, "W"));
    assertThrows(IllegalStateException.class, () -> crashing.call(lines, 1L));
    assertEquals(List.of("r-01", "r-02", "r-03", "r-04"), ids(lakehouse.read(Tables.SILVER)), "silver committed before the crash");
    assertEquals(1, lakehouse.read(Tables.GOLD).count(), "gold did not");

    ProcessRestart.forgetEverythingCommitted();
    LiveBatch restarted = newBatch();
    call(restarted, lines, 1L);

    assertEquals(4, lakehouse.read(Tables.SILVER).count(), "the replay appends nothing to silver again");
    assertExactlyOneGoldRowPerSilverRow();
    assertEquals(lakehouse.read(Tables.BRONZE).where("TransactionID = 'r-03'").first().<Object>getAs("ingested_at"),
        lakehouse.read(Tables.SILVER).where("TransactionID = 'r-03'").first().<Object>getAs("ingested_at"),
        "the replay stamps its rows with the ingest time bronze committed");
    // And the stream goes on from there as if nothing happened.
    call(restarted, land(event("r-06", 90, "card-a", 60.0, "W")), 2L);
    assertEquals(List.of("r-01", "r-02", "r-03", "r-04", "r-05"), ids(lakehouse.read(Tables.SILVER)));
    assertExactlyOneGoldRowPerSilverRow();
  }

  @Test
  void aReplayOfACommittedBatchChangesNothing() {
    LiveBatch live = newBatch();
    run(live, 0, event("c-01", 0, "card-a", 10.0, "W"));
    Dataset<Row> lines = land(event("c-02", 30, "card-a", 30.0, "W"), event("c-03", 31, "card-b", 40.0, "C"));
    call(live, lines, 1L);
    List<Row> silver = lakehouse.read(Tables.SILVER).collectAsList();
    long gold = lakehouse.read(Tables.GOLD).count();
    long bronze = lakehouse.read(Tables.BRONZE).count();

    ProcessRestart.forgetEverythingCommitted();
    call(newBatch(), lines, 1L);

    assertSameRows(SharedSpark.session().createDataFrame(silver, SilverJob.SILVER_SCHEMA), lakehouse.read(Tables.SILVER));
    assertEquals(gold, lakehouse.read(Tables.GOLD).count());
    assertEquals(bronze, lakehouse.read(Tables.BRONZE).count());
  }

  @Test
  void oldSilverRowsOutsideMemoryStillCatchDuplicatesAndLateWindows() {
    // Silver already holds an hour-old history of card-a (from the batch job), far behind anything
    // the live stream keeps in memory.
    Pipelines.land(lakehouse, "history.jsonl", List.of(event("h-01", -3600, "card-a", 100.0, "W"),
        event("h-02", -3590, "card-a", 300.0, "H"), event("h-03", -3580, "card-z", 5.0, "W")));
    Pipelines.bronzeOnce(lakehouse);
    new SilverJob(lakehouse).runBatch(Tables.SILVER);

    LiveBatch live = newBatch();
    run(live, 0, event("n-01", 0, "card-a", 10.0, "W"), event("n-02", 5, "card-b", 20.0, "W"));
    run(live, 1, event("n-03", 40, "card-b", 30.0, "W"));
    // A re-sent h-02 (a duplicate only silver knows of) and h-04, very late, whose window holds h-01 and h-02.
    run(live, 2, event("h-02", -3590, "card-a", 300.0, "H"), event("h-04", -3570, "card-a", 50.0, "C"),
        event("n-04", 80, "card-b", 30.0, "W"));

    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(1, silver.where("TransactionID = 'h-02'").count(), "the re-sent event is a duplicate");
    Row late = silver.where("TransactionID = 'h-04'").first();
    assertTrue(late.<Boolean>getAs("arrived_late"));
    assertEquals(3L, late.<Long>getAs("txn_count_5min"), "h-01, h-02 and itself");
    assertEquals(150.0, late.<Double>getAs("avg_amount_5min"), 1e-9);
    assertEquals(3L, late.<Long>getAs("product_diversity_5min"));
  }

  @Test
  void takesOverTheEventsTheSilverStreamLeftWaitingAndTheSilverStreamDoesNotEmitThemAgain() {
    Pipelines.land(lakehouse, "before.jsonl", List.of(event("s-01", 0, "card-a", 10.0, "W"), event("s-02", 5, "card-a", 11.0, "W")));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    assertEquals(List.of("s-01"), ids(lakehouse.read(Tables.SILVER)), "s-02 waits in the silver stream");

    LiveBatch live = newBatch();
    run(live, 0, event("s-03", 30, "card-a", 12.0, "W"));
    assertEquals(List.of("s-01", "s-02"), ids(lakehouse.read(Tables.SILVER)), "the live pipeline emitted s-02");

    // The silver stream, started again, reads the bronze rows the live pipeline wrote and its own
    // old pending snapshot: s-02 must not come out twice.
    Pipelines.land(lakehouse, "after.jsonl", List.of(event("s-04", 90, "card-a", 13.0, "W")));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(List.of("s-01", "s-02", "s-03"), ids(silver));
    assertEquals(silver.count(), silver.select("TransactionID").distinct().count());
  }

  @Test
  void theScoreStreamAfterTheLivePipelineDoesNotScoreItsRowsAgain() {
    Pipelines.land(lakehouse, "before.jsonl", List.of(event("g-01", 0, "card-a", 10.0, "W"), event("g-02", 5, "card-b", 20.0, "W")));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    String queryId = SharedSpark.session().sparkContext().getLocalProperty(QUERY_ID);
    clearQueryId();
    scoreOnce();
    assertEquals(1, lakehouse.read(Tables.GOLD).count());

    SharedSpark.session().sparkContext().setLocalProperty(QUERY_ID, queryId);
    run(newBatch(), 0, event("g-03", 30, "card-a", 30.0, "W"));
    assertEquals(2, lakehouse.read(Tables.GOLD).count(), "the live pipeline scored g-02");

    // The score stream's checkpoint is behind silver: it reads g-02, which gold already holds.
    clearQueryId();
    scoreOnce();
    assertExactlyOneGoldRowPerSilverRow();
  }

  private void scoreOnce() {
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);
  }

  private LiveBatch newBatch() {
    Optional<io.fraudlake.scoring.GoldHorizon> none = Optional.empty();
    VoidFunction2<Dataset<Row>, Long> scoring = ScoringStream.batchWriter(lakehouse, model, none, ScoringStatus.silent(), Tables.SILVER);
    return new LiveBatch(lakehouse, lakehouse.checkpoint(LivePipeline.QUERY_NAME), scoring);
  }

  private void run(LiveBatch live, long batchId, String... lines) {
    call(live, land(lines), batchId);
  }

  private static void call(LiveBatch live, Dataset<Row> lines, long batchId) {
    try {
      live.call(lines, batchId);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** One landing file, read the way the live stream's source reads it (raw lines with their file). */
  private Dataset<Row> land(String... lines) {
    Path dir = lakehouse.config().home().resolve("live-input");
    Path file = dir.resolve(String.format(Locale.ROOT, "batch-%03d.jsonl", files++));
    try {
      Files.createDirectories(dir);
      Files.write(file, List.of(lines));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SparkSession spark = lakehouse.spark();
    return spark.read().text(file.toString()).select(col("value"), col("_metadata.file_path").as("source_file"));
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
