package io.fraudlake.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ProcessRestart;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScoringStreamTest {
  private static SparkSession spark;
  private static Path modelV1;
  private static Path modelV2;

  @BeforeAll
  static void models() {
    spark = SharedSpark.session();
    Path dir = SharedSpark.tempDir("models");
    modelV1 = ScoringFixtures.saveModel(spark, dir.resolve("1"), 1L);
    modelV2 = ScoringFixtures.saveModel(spark, dir.resolve("2"), 2L);
  }

  private static Lakehouse lakehouse() {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of(
        "scoring.max-files-per-trigger", "1",
        "scoring.alias-check-interval", "0s"));
    return SharedSpark.lakehouse(config);
  }

  private static ProductionModel fixedModel(Path dir) {
    return ProductionModel.load(ModelDirectorySource.of(dir, "fraud_isolation_forest"), Duration.ZERO);
  }

  private static ScoringStatus runOnce(Lakehouse lakehouse, ProductionModel model) {
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);
    return status;
  }

  private static Dataset<Row> gold(Lakehouse lakehouse) {
    return lakehouse.read(Tables.GOLD);
  }

  private static void assertExactlyOncePerSilverRow(Lakehouse lakehouse) {
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
  }

  @Test
  void scoresEachSilverRowOnceWithTheGoldContract() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "t", 3, 25, ScoringFixtures.start());
    ProductionModel model = fixedModel(modelV1);

    ScoringStatus status = runOnce(lakehouse, model);

    assertEquals(3, status.batches(), "one batch per silver file");
    assertExactlyOncePerSilverRow(lakehouse);
    assertEquals(GoldSchema.predictionColumns(), Arrays.asList(gold(lakehouse).columns()));
    assertEquals(1, gold(lakehouse).select("model_name", "model_version").distinct().count());
    assertEquals("1", gold(lakehouse).first().getAs("model_version"));
    assertTrue(gold(lakehouse).where("is_anomaly").count() > 0, "large amounts are flagged");

    Dataset<Row> metrics = lakehouse.read(Tables.BATCH_METRICS);
    assertEquals(3, metrics.count());
    assertEquals(75L, metrics.agg(org.apache.spark.sql.functions.sum("rows")).first().getLong(0));
    assertEquals(gold(lakehouse).where("is_anomaly").count(),
        metrics.agg(org.apache.spark.sql.functions.sum("anomalies")).first().getLong(0));

    ScoringStatus again = runOnce(lakehouse, model);
    assertEquals(0, again.batches(), "nothing new, nothing scored");
    assertExactlyOncePerSilverRow(lakehouse);
  }

  @Test
  void batchReplayedAfterACrashAddsNothing() throws Exception {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "r", 3, 20, ScoringFixtures.start());
    ProductionModel model = fixedModel(modelV1);
    runOnce(lakehouse, model);
    long metricsBefore = lakehouse.read(Tables.BATCH_METRICS).count();

    // A crash after the batch reached gold but before Spark recorded it: the commit log lacks it.
    Path commits = ScoringStream.checkpointOf(lakehouse).dir().resolve("commits");
    Files.delete(commits.resolve("2"));
    try (Stream<Path> crc = Files.list(commits)) {
      crc.filter(p -> p.getFileName().toString().equals(".2.crc")).forEach(p -> p.toFile().delete());
    }

    ProcessRestart.forgetEverythingCommitted();
    ScoringStatus replay = runOnce(lakehouse, model);

    assertEquals(1, replay.batches(), "Spark replays the uncommitted batch");
    assertExactlyOncePerSilverRow(lakehouse);
    assertEquals(metricsBefore, lakehouse.read(Tables.BATCH_METRICS).count(), "metrics not doubled either");
  }

  @Test
  void replayWhoseGoldHadCommittedStillCountsItsMetrics() throws Exception {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "m", 2, 30, ScoringFixtures.start());
    ProductionModel model = fixedModel(modelV1);
    runOnce(lakehouse, model);
    Row lastBefore = lakehouse.read(Tables.BATCH_METRICS).where("batch_id = 1").first();

    // The process died after gold's commit and before the metrics' and Spark's: the replay skips
    // gold, so nothing is observed while writing it, and the counts must come from the batch itself.
    io.fraudlake.testing.Crashes.uncommitLastBatch(ScoringStream.checkpointOf(lakehouse).dir());
    io.fraudlake.testing.Crashes.dropLastDeltaCommit(lakehouse, Tables.BATCH_METRICS);
    ProcessRestart.forgetEverythingCommitted();
    ScoringStatus replay = runOnce(lakehouse, model);

    assertEquals(1, replay.batches());
    assertExactlyOncePerSilverRow(lakehouse);
    List<Row> metrics = lakehouse.read(Tables.BATCH_METRICS).where("batch_id = 1").collectAsList();
    assertEquals(1, metrics.size(), "the lost metrics row is written once");
    assertEquals(30L, metrics.get(0).<Long>getAs("rows"));
    assertEquals(lastBefore.<Long>getAs("anomalies"), metrics.get(0).<Long>getAs("anomalies"));
    assertEquals(lastBefore.<Double>getAs("mean_score"), metrics.get(0).<Double>getAs("mean_score"), 1e-12);
    assertEquals(lastBefore.<java.sql.Timestamp>getAs("max_event_time"), metrics.get(0).getAs("max_event_time"));
  }

  @Test
  void resetCheckpointKeepsGoldAndDoublesNothing() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "a", 3, 20, ScoringFixtures.start());
    runOnce(lakehouse, fixedModel(modelV1));
    ScoringFixtures.appendSilver(lakehouse,
        ScoringFixtures.silverRows("b", 0, 30, ScoringFixtures.start(), 3), 2);

    ScoringStream.reset(lakehouse);
    ScoringStatus status = runOnce(lakehouse, fixedModel(modelV2));

    assertTrue(status.batches() > 0);
    assertExactlyOncePerSilverRow(lakehouse);
    assertEquals(60, gold(lakehouse).where("model_version = '1'").count(), "scored rows are not rescored");
    assertEquals(30, gold(lakehouse).where("model_version = '2'").count());
  }

  @Test
  void aliasMovedDuringTheRunScoresLaterBatchesWithTheNewVersion() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "m", 4, 10, ScoringFixtures.start());
    // Asked once at load, then once per batch: the alias moves before the third batch.
    ScriptedModelSource source = new ScriptedModelSource(Map.of("1", modelV1, "2", modelV2), Map.of(),
        asked -> asked < 3 ? "1" : "2");
    ProductionModel model = ProductionModel.load(source, Duration.ZERO);

    runOnce(lakehouse, model);

    assertExactlyOncePerSilverRow(lakehouse);
    List<Row> perBatch = lakehouse.read(Tables.BATCH_METRICS).orderBy("batch_id")
        .select("batch_id", "model_version").collectAsList();
    assertEquals(List.of("1", "1", "2", "2"), perBatch.stream().map(r -> r.getString(1)).toList());
    assertEquals(20, gold(lakehouse).where("model_version = '1'").count());
    assertEquals(20, gold(lakehouse).where("model_version = '2'").count());
    assertEquals("2", model.current().version());
  }

  @Test
  void sourceUnreachableWhileRunningKeepsScoringWithTheModelInHand() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "d", 3, 10, ScoringFixtures.start());
    ScriptedModelSource source = new ScriptedModelSource(Map.of("1", modelV1), Map.of(),
        asked -> asked == 0 ? "1" : null);
    ProductionModel model = ProductionModel.load(source, Duration.ZERO);

    runOnce(lakehouse, model);

    assertExactlyOncePerSilverRow(lakehouse);
    assertEquals(30, gold(lakehouse).where("model_version = '1'").count());
    assertEquals(1, model.outagesReported(), "one warning for the outage, not one per batch");
  }

  @Test
  void sourceUnreachableAtStartIsAClearError() {
    ScriptedModelSource source = new ScriptedModelSource(Map.of(), Map.of(), asked -> null);
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> ProductionModel.load(source, Duration.ZERO));
    assertEquals("cannot load the model scripted registry: connection refused", e.getMessage());
  }

  @Test
  void silverNotMatchingTheSignatureIsRefusedAtStart() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "s", 1, 5, ScoringFixtures.start());
    spark.read().format("delta").load(lakehouse.path(Tables.SILVER).toString())
        .withColumn("txn_count_5min", org.apache.spark.sql.functions.col("txn_count_5min").cast("int"))
        .drop("avg_amount_5min")
        .write().format("delta").mode("overwrite").option("overwriteSchema", "true")
        .save(lakehouse.path(Tables.SILVER).toString());

    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> new ScoringStream(lakehouse, fixedModel(modelV1), ScoringStatus.silent()).start(true));

    assertEquals("silver_transactions_base does not match the signature of fraud_isolation_forest v1: "
        + "txn_count_5min is int, model expects bigint, avg_amount_5min missing (model expects double)", e.getMessage());
  }

  @Test
  void newVersionWithAnotherSignatureStopsTheQuery() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "x", 3, 10, ScoringFixtures.start());
    StructType wider = GoldSchema.FEATURES.add("merchant_risk", DataTypes.DoubleType);
    ScriptedModelSource source = new ScriptedModelSource(Map.of("1", modelV1, "2", modelV2), Map.of("2", wider),
        asked -> asked < 2 ? "1" : "2");
    ProductionModel model = ProductionModel.load(source, Duration.ZERO);
    ScoringStatus status = ScoringStatus.silent();

    var query = new ScoringStream(lakehouse, model, status).start(true);
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> ScoringStream.await(query, status));

    assertEquals("stream score failed: silver_transactions_base does not match the signature of "
        + "fraud_isolation_forest v2: merchant_risk missing (model expects double)", e.getMessage());
    assertEquals(10, gold(lakehouse).count(), "the batch before the new version was written, nothing after");
    assertEquals(0, gold(lakehouse).where("model_version = '2'").count());
  }

  @Test
  void backfillIsIdempotentAndRefusesToRaceTheStream() {
    Lakehouse lakehouse = lakehouse();
    ScoringFixtures.appendSilverCommits(lakehouse, "f", 2, 15, ScoringFixtures.start());
    ScoringModel model = fixedModel(modelV1).current();

    BatchScoring.Result first = BatchScoring.run(lakehouse, model, Tables.SILVER, Tables.GOLD);
    BatchScoring.Result second = BatchScoring.run(lakehouse, model, Tables.SILVER, Tables.GOLD);

    assertEquals(30, first.inserted());
    assertEquals(0, second.inserted());
    assertEquals(30, second.alreadyPresent());
    assertExactlyOncePerSilverRow(lakehouse);

    // A stream started after the backfill skips what the backfill wrote...
    ScoringFixtures.appendSilver(lakehouse, ScoringFixtures.silverRows("g", 0, 10, ScoringFixtures.start(), 5), 1);
    runOnce(lakehouse, fixedModel(modelV2));
    assertExactlyOncePerSilverRow(lakehouse);
    assertEquals(10, gold(lakehouse).where("model_version = '2'").count());
    // ...and once the stream owns silver, a backfill into gold would race it.
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> BatchScoring.run(lakehouse, model, Tables.SILVER, Tables.GOLD));
    assertTrue(e.getMessage().contains("use `score --once`"), e.getMessage());
  }
}
