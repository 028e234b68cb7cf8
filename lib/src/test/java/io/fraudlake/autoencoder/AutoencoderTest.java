package io.fraudlake.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.BinaryMetrics;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.ModelTrainer;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoencoderTest {
  private static Dataset<Row> mammography;

  @BeforeAll
  static void data() {
    mammography = standardizedOdds("mammography");
  }

  @AfterAll
  static void release() {
    mammography.unpersist();
  }

  /** An ODDS file as (label, features), the features standardized as FraudLake's pipeline does. */
  private static Dataset<Row> standardizedOdds(String name) {
    Dataset<Row> raw = SharedSpark.session().read().option("comment", "#").option("inferSchema", "true")
        .csv(SharedSpark.oddsFile(name).toString());
    String[] columns = raw.columns();
    Dataset<Row> assembled = new VectorAssembler()
        .setInputCols(Arrays.copyOf(columns, columns.length - 1)).setOutputCol("raw_features").transform(raw);
    return new StandardScaler().setInputCol("raw_features").setOutputCol("features").setWithMean(true)
        .setWithStd(true).fit(assembled).transform(assembled)
        .selectExpr("cast(`" + columns[columns.length - 1] + "` as int) as label", "features")
        .cache();
  }

  private static double[] scores(Dataset<Row> scored) {
    return scored.select("fraud_score").collectAsList().stream().mapToDouble(r -> r.getDouble(0)).toArray();
  }

  private static Autoencoder quick(long seed) {
    return new Autoencoder().setMaxIter(4).setBatchSize(2048).setSeed(seed);
  }

  @Test
  void badParamsFailWithOneLineNamingTheValue() {
    Autoencoder estimator = new Autoencoder();
    List<Supplier<Object>> bad = List.of(
        () -> estimator.setHiddenLayers(),
        () -> estimator.setHiddenLayers(6, 0),
        () -> estimator.setMaxIter(0),
        () -> estimator.setStepSize(0),
        () -> estimator.setStepSize(Double.NaN),
        () -> estimator.setBatchSize(-5),
        () -> estimator.setContamination(0.75),
        () -> estimator.setThreshold(Double.POSITIVE_INFINITY));
    List<String> values = List.of("[]", "[6, 0]", "got 0", "got 0.0", "NaN", "-5", "0.75", "Infinity");
    for (int i = 0; i < bad.size(); i++) {
      FraudLakeException error = assertThrows(FraudLakeException.class, bad.get(i)::get);
      assertTrue(error.getMessage().contains(values.get(i)), error.getMessage());
      assertFalse(error.getMessage().contains("\n"), error.getMessage());
      assertTrue(error.getMessage().startsWith("Autoencoder: "), error.getMessage());
    }
    // A value set around the setters (as a ParamMap does) is caught by fit.
    Autoencoder sneaky = new Autoencoder();
    sneaky.set(sneaky.maxIter(), -1);
    assertTrue(assertThrows(FraudLakeException.class, () -> sneaky.fit(mammography)).getMessage().contains("-1"));
    assertTrue(assertThrows(FraudLakeException.class, () -> new Autoencoder().setFeaturesCol("label").fit(mammography))
        .getMessage().contains("must be an ML Vector"));
    assertTrue(assertThrows(FraudLakeException.class, () -> new Autoencoder().fit(mammography.limit(0)))
        .getMessage().contains("empty"));
  }

  @Test
  void theSameSeedGivesTheSameWeightsAndScoresAndAnotherSeedDoesNot() {
    AutoencoderModel first = quick(7).fit(mammography);
    AutoencoderModel again = quick(7).fit(mammography);
    AutoencoderModel other = quick(8).fit(mammography);
    assertArrayEquals(new int[] {6, 6, 3, 6, 6}, first.layerSizes());
    assertArrayEquals(first.parameters(), again.parameters(), 0.0);
    assertEquals(first.medianTrainingError(), again.medianTrainingError(), 0.0);
    assertEquals(first.threshold(), again.threshold(), 0.0);
    assertArrayEquals(scores(first.transform(mammography)), scores(again.transform(mammography)), 0.0);
    assertFalse(Arrays.equals(first.parameters(), other.parameters()));
    assertFalse(Arrays.equals(scores(first.transform(mammography)), scores(other.transform(mammography))));
  }

  @Test
  void scoreRowGivesTransformsScore() {
    AutoencoderModel model = quick(3).fit(mammography);
    List<Row> rows = model.transform(mammography).select("features", "fraud_score", "is_anomaly").collectAsList();
    long flagged = 0;
    for (Row row : rows) {
      double[] features = ((Vector) row.getAs(0)).toArray();
      double score = row.getDouble(1);
      assertEquals(score, model.scoreRow(features), 1e-12);
      assertTrue(score > 0 && score <= 1, "score " + score);
      assertEquals(score >= model.threshold(), row.getBoolean(2));
      flagged += row.getBoolean(2) ? 1 : 0;
    }
    // The threshold is the 96.5% quantile of the training scores.
    assertEquals(0.035, (double) flagged / rows.size(), 0.002);
  }

  @Test
  void scoresAStreamAsItScoresABatch(@TempDir Path dir) throws Exception {
    AutoencoderModel model = quick(6).fit(mammography);
    mammography.limit(500).write().parquet(dir.resolve("in").toString());
    Dataset<Row> stream = SharedSpark.session().readStream().schema(mammography.schema())
        .parquet(dir.resolve("in").toString());
    Dataset<Row> scored = model.transform(stream);
    assertTrue(scored.isStreaming());
    List<Row> collected = new ArrayList<>();
    StreamingQuery query = scored.writeStream()
        .option("checkpointLocation", dir.resolve("checkpoint").toString())
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> collected.addAll(batch.collectAsList()))
        .start();
    try {
      query.processAllAvailable();
    } finally {
      query.stop();
    }
    assertEquals(500, collected.size());
    for (Row row : collected) {
      double[] features = ((Vector) row.getAs("features")).toArray();
      assertEquals(model.scoreRow(features), row.<Double>getAs("fraud_score"), 1e-12);
      assertEquals(model.scoreRow(features) >= model.threshold(), row.<Boolean>getAs("is_anomaly"));
    }
    Dataset<Row> infinite = SharedSpark.session().createDataFrame(
        List.of(RowFactory.create(Vectors.dense(1, 2, Double.POSITIVE_INFINITY, 4, 5, 6))),
        new StructType().add("features", new VectorUDT()));
    Throwable error = assertThrows(Exception.class, () -> model.transform(infinite).collectAsList());
    while (error.getCause() != null) {
      error = error.getCause();
    }
    assertTrue(error.getMessage().contains("column 'features' contains Infinity at feature 2"), error.getMessage());
  }

  @Test
  void savedModelsScoreExactlyAsTheOriginal() throws Exception {
    AutoencoderModel model = quick(5).setContamination(0.02).fit(mammography);
    String path = SharedSpark.tempDir("autoencoder-model").resolve("model").toString();
    model.write().overwrite().save(path);
    AutoencoderModel loaded = AutoencoderModel.load(path);
    assertEquals(model.uid(), loaded.uid());
    assertArrayEquals(model.layerSizes(), loaded.layerSizes());
    assertArrayEquals(model.parameters(), loaded.parameters(), 0.0);
    assertArrayEquals(model.trainingLoss(), loaded.trainingLoss(), 0.0);
    assertEquals(model.medianTrainingError(), loaded.medianTrainingError(), 0.0);
    assertEquals(model.threshold(), loaded.threshold(), 0.0);
    assertArrayEquals(scores(model.transform(mammography)), scores(loaded.transform(mammography)), 0.0);

    Autoencoder estimator = new Autoencoder().setHiddenLayers(5, 4, 2).setMaxIter(9).setStepSize(0.003)
        .setBatchSize(100).setSeed(11).setContamination(0.1).setThreshold(0.8);
    String estimatorPath = SharedSpark.tempDir("autoencoder-estimator").resolve("estimator").toString();
    estimator.save(estimatorPath);
    Autoencoder reloaded = Autoencoder.load(estimatorPath);
    assertArrayEquals(new int[] {5, 4, 2}, reloaded.getHiddenLayers());
    assertEquals(9, reloaded.getMaxIter());
    assertEquals(0.003, reloaded.getStepSize());
    assertEquals(100, reloaded.getBatchSize());
    assertEquals(11, reloaded.getSeed());
    assertEquals(0.1, reloaded.getContamination());
    assertEquals(0.8, reloaded.getThreshold());
  }

  @Test
  void worksAsTheLastStageOfASavedPipeline() throws Exception {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> silver = spark.createDataFrame(
        ScoringFixtures.silverRows("ae", 0, 5_000, Timestamp.valueOf("2026-01-01 00:00:00"), 9), ScoringFixtures.SILVER)
        .cache();
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(ModelFeatures.names()).setOutputCol(ModelFeatures.VECTOR),
        new StandardScaler().setInputCol(ModelFeatures.VECTOR).setOutputCol(ModelFeatures.SCALED_VECTOR)
            .setWithMean(true).setWithStd(true),
        new Autoencoder().setFeaturesCol(ModelFeatures.SCALED_VECTOR).setMaxIter(5).setBatchSize(1000)});
    PipelineModel fitted = pipeline.fit(silver);
    Path path = SharedSpark.tempDir("autoencoder-pipeline").resolve("model");
    fitted.save(path.toString());
    PipelineModel loaded = PipelineModel.load(path.toString());
    AutoencoderModel detector = assertInstanceOf(AutoencoderModel.class, loaded.stages()[2]);
    assertArrayEquals(scores(fitted.transform(silver)), scores(loaded.transform(silver)), 0.0);
    // The scoring jobs load models by class name, after checking it against ModelClasses.
    PipelineModel viaScoring = assertInstanceOf(PipelineModel.class, ModelDirectorySource.loadTransformer(path));
    double[] silverScores = scores(viaScoring.transform(silver));
    assertArrayEquals(scores(fitted.transform(silver)), silverScores, 0.0);
    assertTrue(Arrays.stream(silverScores).allMatch(s -> s > 0 && s <= 1));
    assertEquals(8, detector.numFeatures());
    // Training's threshold and serve's single-row scoring find the detector through AnomalyModel.
    assertEquals(detector, ModelTrainer.detector(loaded));
    silver.unpersist();
  }

  @Test
  void learnsToReconstructAndRanksOddsAnomaliesWellAboveChance() {
    AutoencoderModel model = new Autoencoder().setThreshold(0.9).fit(mammography);
    double[] loss = model.trainingLoss();
    System.out.println("mammography training loss per epoch: " + Arrays.toString(loss));
    assertTrue(loss[loss.length - 1] < 0.7 * loss[0], Arrays.toString(loss));
    double[] fullBatchLoss = new Autoencoder().setFullBatch().setMaxIter(10).setStepSize(0.05).setThreshold(0.9)
        .fit(mammography).trainingLoss();
    System.out.println("mammography full-batch training loss per epoch: " + Arrays.toString(fullBatchLoss));
    assertTrue(fullBatchLoss[9] < 0.8 * fullBatchLoss[0], Arrays.toString(fullBatchLoss));
    double mammographyAuroc = BinaryMetrics.areaUnderRoc(model.transform(mammography), "fraud_score", "label");
    Dataset<Row> shuttle = standardizedOdds("shuttle");
    double shuttleAuroc = BinaryMetrics.areaUnderRoc(new Autoencoder().setThreshold(0.9).fit(shuttle)
        .transform(shuttle), "fraud_score", "label");
    shuttle.unpersist();
    System.out.printf("Autoencoder (defaults, seed 42) AUROC: mammography %.4f, shuttle %.4f%n", mammographyAuroc,
        shuttleAuroc);
    assertTrue(mammographyAuroc > 0.75, "mammography AUROC " + mammographyAuroc);
    assertTrue(shuttleAuroc > 0.75, "shuttle AUROC " + shuttleAuroc);
  }

  @Test
  void scoresGeneratedFraudLakeRowsInTheUnitInterval() {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> silver = spark.createDataFrame(
        ScoringFixtures.silverRows("ae", 0, 30_000, Timestamp.valueOf("2026-01-01 00:00:00"), 4), ScoringFixtures.SILVER);
    Dataset<Row> scaled = new VectorAssembler().setInputCols(ModelFeatures.names()).setOutputCol("raw").transform(silver);
    scaled = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true).setWithStd(true)
        .fit(scaled).transform(scaled).select("features", ModelFeatures.LABEL).cache();
    scaled.count();
    long started = System.nanoTime();
    AutoencoderModel model = new Autoencoder().fit(scaled);
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("default fit on 30k FraudLake rows: %.2f s%n", seconds);
    Dataset<Row> scored = model.transform(scaled).cache();
    Row range = scored.selectExpr("min(fraud_score)", "max(fraud_score)", "avg(cast(is_anomaly as double))").first();
    assertTrue(range.getDouble(0) > 0, "min score " + range.getDouble(0));
    assertTrue(range.getDouble(1) <= 1, "max score " + range.getDouble(1));
    assertEquals(0.035, range.getDouble(2), 0.005);
    double auroc = BinaryMetrics.areaUnderRoc(scored, "fraud_score", ModelFeatures.LABEL);
    System.out.printf("AUROC on generated FraudLake rows: %.4f%n", auroc);
    assertTrue(auroc > 0.9, "AUROC " + auroc);
    scored.unpersist();
    scaled.unpersist();
  }
}
