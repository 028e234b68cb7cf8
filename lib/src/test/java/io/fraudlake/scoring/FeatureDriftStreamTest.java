package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.registry.CapturedLogs;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.Signature;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ProcessRestart;
import io.fraudlake.spark.Tables;
import io.fraudlake.sql.SqlRunner;
import io.fraudlake.sql.SqlScript;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.FeatureReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** fraud_feature_drift as the scoring stream writes it. */
class FeatureDriftStreamTest {
  private static final String NAME = "fraud_isolation_forest";
  private static SparkSession spark;
  private static Path bareModel;
  private static FeatureReference usual;
  private static FeatureReference fiveTimes;

  @BeforeAll
  static void models() {
    spark = SharedSpark.session();
    bareModel = ScoringFixtures.saveModel(spark, SharedSpark.tempDir("models").resolve("1"), 1L);
    usual = FeatureReference.compute(silver("ref", 0, 3_000, 1.0), ModelFeatures.NAMES, 10);
    fiveTimes = FeatureReference.compute(silver("ref5", 0, 3_000, 5.0), ModelFeatures.NAMES, 10);
  }

  /** Silver rows as the fixtures make them, with every amount feature {@code factor} times larger. */
  private static Dataset<Row> silver(String prefix, int first, int count, double factor) {
    return spark.createDataFrame(ScoringFixtures.silverRows(prefix, first, count, ScoringFixtures.start(), first + 13),
            ScoringFixtures.SILVER)
        .withColumn("TransactionAmt", col("TransactionAmt").multiply(factor))
        .withColumn("log_transaction_amount", expr("ln(1 + TransactionAmt)"))
        .withColumn("is_high_value_txn", expr("CAST(TransactionAmt > 1000 AS INT)"))
        .withColumn("avg_amount_5min", col("avg_amount_5min").multiply(factor));
  }

  private static void appendSilver(Lakehouse lakehouse, Dataset<Row> rows) {
    rows.coalesce(1).write().format("delta").mode("append").save(lakehouse.path(Tables.SILVER).toString());
  }

  private static Lakehouse lakehouse(String minDriftRows) {
    return SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of(
        "scoring.max-files-per-trigger", "1",
        "scoring.alias-check-interval", "0s",
        "monitoring.min-drift-rows", minDriftRows)));
  }

  /** An MLflow model directory (as training logs it) named {@code version}, with the reference if given. */
  private static Path mlflowModel(String version, FeatureReference reference) {
    Path sparkModel = ScoringFixtures.saveModel(spark, SharedSpark.tempDir("sparkml").resolve("model"), 1L);
    Path dir = SharedSpark.tempDir("mlflow").resolve(version);
    StructType outputs = new StructType().add("fraud_score", DataTypes.DoubleType).add("is_anomaly", DataTypes.BooleanType);
    MlflowModelDirectory.Builder builder = MlflowModelDirectory.builder(dir)
        .signature(Signature.of(GoldSchema.FEATURES, outputs))
        .sparkModel(sparkModel, PipelineModel.class.getName());
    if (reference != null) {
      builder.extraFile(FeatureReference.FILE_NAME, reference.toJson());
    }
    return builder.write().directory();
  }

  private static ScoringStatus runOnce(Lakehouse lakehouse, ProductionModel model) {
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);
    return status;
  }

  private static ProductionModel fixed(Path dir) {
    return ProductionModel.load(ModelDirectorySource.of(dir, NAME), Duration.ZERO);
  }

  private static Set<String> drifted(Dataset<Row> drift, long batchId) {
    return Set.copyOf(drift.where("batch_id = " + batchId + " AND drifted").select("feature").as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList());
  }

  @Test
  void everyBatchGetsOneRowPerFeatureWrittenOnceAndDriftIsWarnedAbout() throws Exception {
    Lakehouse lakehouse = lakehouse("100");
    appendSilver(lakehouse, silver("a", 0, 300, 1.0));
    appendSilver(lakehouse, silver("b", 300, 300, 1.0));
    appendSilver(lakehouse, silver("c", 600, 300, 5.0));
    ProductionModel model = fixed(mlflowModel("3", usual));

    ScoringStatus status;
    List<String> logs;
    try (CapturedLogs captured = CapturedLogs.fraudLake()) {
      status = runOnce(lakehouse, model);
      logs = captured.lines();
    }

    Dataset<Row> drift = lakehouse.read(Tables.FEATURE_DRIFT);
    assertEquals(Arrays.asList(GoldSchema.FEATURE_DRIFT.fieldNames()), Arrays.asList(drift.columns()));
    assertEquals(3 * 8, drift.count());
    for (long batch = 0; batch < 3; batch++) {
      assertEquals(Set.copyOf(ModelFeatures.NAMES), Set.copyOf(drift.where("batch_id = " + batch).select("feature")
          .as(org.apache.spark.sql.Encoders.STRING()).collectAsList()));
    }
    assertEquals(0, drift.where("rows <> 300 OR model_name <> 'fraud_isolation_forest' OR model_version <> '3' "
        + "OR psi_threshold <> 0.2 OR psi IS NULL OR drifted <> (psi >= 0.2)").count());
    assertEquals(Set.of(), drifted(drift, 0));
    assertEquals(Set.of(), drifted(drift, 1));
    Set<String> shifted = drifted(drift, 2);
    assertTrue(shifted.containsAll(List.of("TransactionAmt", "log_transaction_amount", "avg_amount_5min")), shifted.toString());
    assertFalse(shifted.contains("txn_count_5min") || shifted.contains("is_international_txn"), shifted.toString());
    assertEquals(1, status.driftedBatches());

    Row amount = drift.where("batch_id = 2 AND feature = 'TransactionAmt'").first();
    assertEquals(usual.feature("TransactionAmt").mean(), amount.<Double>getAs("reference_mean"), 1e-9);
    double batchMean = lakehouse.read(Tables.GOLD).where("TransactionID LIKE 'c-%'")
        .agg(org.apache.spark.sql.functions.avg("TransactionAmt")).first().getDouble(0);
    assertEquals(batchMean, amount.<Double>getAs("batch_mean"), 1e-6);
    assertEquals(0, drift.join(lakehouse.read(Tables.BATCH_METRICS), "batch_id")
        .where("window_start <> min_event_time OR window_end <> max_event_time").count(), "the batch's event-time range");

    List<String> warnings = logs.stream().filter(l -> l.startsWith("WARN ") && l.contains("feature drift")).toList();
    assertEquals(shifted.size(), warnings.size(), String.join("\n", warnings));
    assertTrue(warnings.stream().anyMatch(w -> w.contains("TransactionAmt PSI ") && w.contains("in batch 2 ")
        && w.contains("fraud_isolation_forest v3")), String.join("\n", warnings));

    lakehouse.registerTables();
    List<List<Row>> notebook = SqlScript.statements(SqlRunner.readFile(SharedSpark.projectDir().resolve("notebooks/feature_drift.sql")))
        .stream().map(sql -> spark.sql(sql).collectAsList()).toList();
    assertEquals(shifted, Set.copyOf(notebook.get(0).stream().map(r -> r.<String>getAs("feature")).toList()),
        "the notebook's drifted features of version 3");
    assertEquals(Set.of(1L), Set.copyOf(notebook.get(0).stream().map(r -> r.<Long>getAs("batches_drifted")).toList()));

    // A crash after batch 2 reached the tables but before Spark recorded it: the batch is replayed.
    Path commits = ScoringStream.checkpointOf(lakehouse).dir().resolve("commits");
    Files.delete(commits.resolve("2"));
    try (Stream<Path> crc = Files.list(commits)) {
      crc.filter(p -> p.getFileName().toString().equals(".2.crc")).forEach(p -> p.toFile().delete());
    }
    ProcessRestart.forgetEverythingCommitted();
    assertEquals(1, runOnce(lakehouse, model).batches(), "Spark replays the uncommitted batch");
    assertEquals(3 * 8, lakehouse.read(Tables.FEATURE_DRIFT).count(), "the replay adds no drift rows");
  }

  @Test
  void aModelWithoutReferenceScoresAndWritesNoDriftRows() {
    Lakehouse lakehouse = lakehouse("100");
    appendSilver(lakehouse, silver("n", 0, 300, 5.0));

    List<String> logs;
    try (CapturedLogs captured = CapturedLogs.fraudLake()) {
      runOnce(lakehouse, fixed(bareModel));
      logs = captured.lines();
    }

    assertEquals(300, lakehouse.read(Tables.GOLD).count(), "scoring goes on");
    assertEquals(0, lakehouse.read(Tables.FEATURE_DRIFT).count(), "the table exists, with no rows");
    assertEquals(1, logs.stream().filter(l -> l.startsWith("INFO ")
        && l.contains("fraud_isolation_forest v1 has no feature_reference.json")).count(), String.join("\n", logs));
  }

  @Test
  void batchesUnderTheMinimumAreNotMeasuredAndSaySoOnce() {
    Lakehouse lakehouse = lakehouse("500");
    appendSilver(lakehouse, silver("s", 0, 200, 5.0));
    appendSilver(lakehouse, silver("t", 200, 200, 5.0));

    List<String> logs;
    try (CapturedLogs captured = CapturedLogs.fraudLake()) {
      assertEquals(2, runOnce(lakehouse, fixed(mlflowModel("4", usual))).batches());
      logs = captured.lines();
    }

    assertEquals(400, lakehouse.read(Tables.GOLD).count());
    assertEquals(0, lakehouse.read(Tables.FEATURE_DRIFT).count());
    assertEquals(1, logs.stream().filter(l -> l.startsWith("INFO ") && l.contains("monitoring.min-drift-rows")).count(),
        String.join("\n", logs));
  }

  @Test
  void aMovedAliasIsMeasuredAgainstTheNewVersionsReference() {
    Lakehouse lakehouse = lakehouse("100");
    for (int c = 0; c < 4; c++) {
      appendSilver(lakehouse, silver("m" + c, c * 200, 200, 5.0));
    }
    // v1 was trained on the usual amounts, v2 on amounts five times larger, like the traffic now.
    // Asked once at load, then once per batch: the alias moves to v2 before the third batch.
    ScriptedModelSource source = new ScriptedModelSource(Map.of("1", bareModel, "2", bareModel), Map.of(),
        Map.of("1", usual, "2", fiveTimes), asked -> asked < 3 ? "1" : "2");

    runOnce(lakehouse, ProductionModel.load(source, Duration.ZERO));

    Dataset<Row> drift = lakehouse.read(Tables.FEATURE_DRIFT);
    List<Row> versions = drift.select("batch_id", "model_version").distinct().orderBy("batch_id").collectAsList();
    assertEquals(List.of("1", "1", "2", "2"), versions.stream().map(r -> r.getString(1)).toList());
    for (long batch : List.of(0L, 1L)) {
      assertTrue(drifted(drift, batch).contains("TransactionAmt"), "v1 sees the larger amounts as drift");
    }
    for (long batch : List.of(2L, 3L)) {
      assertEquals(Set.of(), drifted(drift, batch), "v2 was trained on them");
      Row amount = drift.where("batch_id = " + batch + " AND feature = 'TransactionAmt'").first();
      assertEquals(fiveTimes.feature("TransactionAmt").mean(), amount.<Double>getAs("reference_mean"), 1e-9);
    }
  }
}
