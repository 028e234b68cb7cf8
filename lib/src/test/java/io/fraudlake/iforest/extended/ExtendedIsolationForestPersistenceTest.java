package io.fraudlake.iforest.extended;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.serve.OnlineScorer;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class ExtendedIsolationForestPersistenceTest {
  private static final String[] FEATURES = GoldSchema.FEATURES.fieldNames();

  private static Dataset<Row> silver(String prefix, int count, long seed) {
    return SharedSpark.session().createDataFrame(
        ScoringFixtures.silverRows(prefix, 0, count, ScoringFixtures.start(), seed), ScoringFixtures.SILVER);
  }

  private static double[] scores(Dataset<Row> scored) {
    return scored.orderBy("TransactionID").select("fraud_score").collectAsList().stream()
        .mapToDouble(r -> r.getDouble(0)).toArray();
  }

  @Test
  void savedModelAndEstimatorLoadAsTheyWere() throws IOException {
    Dataset<Row> rows = new VectorAssembler().setInputCols(FEATURES).setOutputCol("features")
        .transform(silver("fit", 400, 3));
    ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(30).setMaxSamples(64)
        .setExtensionLevel(3).setSeed(3).setContamination(0.05).fit(rows);
    String path = SharedSpark.tempDir("eif-model").resolve("model").toString();
    model.write().overwrite().save(path);
    ExtendedIsolationForestModel loaded = ExtendedIsolationForestModel.load(path);
    assertEquals(model.uid(), loaded.uid());
    assertEquals(model.threshold(), loaded.threshold(), 0.0);
    assertEquals(model.numTrees(), loaded.numTrees());
    assertEquals(model.numFeatures(), loaded.numFeatures());
    assertEquals(model.sampleSize(), loaded.sampleSize());
    assertEquals(3, loaded.extensionLevel());
    for (int t = 0; t < model.numTrees(); t++) {
      assertArrayEquals(model.tree(t).normals, loaded.tree(t).normals, 0.0);
      assertArrayEquals(model.tree(t).offset, loaded.tree(t).offset, 0.0);
      assertArrayEquals(model.tree(t).left, loaded.tree(t).left);
      assertArrayEquals(model.tree(t).size, loaded.tree(t).size);
    }
    assertArrayEquals(scores(model.transform(rows)), scores(loaded.transform(rows)), 0.0);

    ExtendedIsolationForest estimator = new ExtendedIsolationForest().setNumTrees(7).setExtensionLevel(1)
        .setThreshold(0.61);
    String estimatorPath = SharedSpark.tempDir("eif-estimator").resolve("estimator").toString();
    estimator.save(estimatorPath);
    ExtendedIsolationForest reloaded = ExtendedIsolationForest.load(estimatorPath);
    assertEquals(7, reloaded.getNumTrees());
    assertEquals(1, reloaded.getExtensionLevel());
    assertEquals(0.61, reloaded.getThreshold());
  }

  /**
   * The pipeline training would log, saved and loaded through the allow-list as scoring and serve load
   * it, scores the same through Spark's transform and through serve's single-row scorer.
   */
  @Test
  void aSavedPipelineScoresAlikeInSparkAndInServe() throws IOException {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(FEATURES).setOutputCol("raw_features"),
        new StandardScaler().setInputCol("raw_features").setOutputCol("features"),
        new ExtendedIsolationForest().setNumTrees(25).setMaxSamples(64).setContamination(0.05).setSeed(5)});
    PipelineModel fitted = pipeline.fit(silver("fit", 500, 5));
    Path dir = SharedSpark.tempDir("eif-pipeline").resolve("model");
    fitted.write().overwrite().save(dir.toString());
    Transformer loaded = ModelDirectorySource.loadTransformer(dir);
    assertInstanceOf(ExtendedIsolationForestModel.class, ((PipelineModel) loaded).stages()[2]);

    Dataset<Row> unseen = silver("score", 300, 99);
    double[] spark = scores(loaded.transform(unseen));
    assertArrayEquals(scores(fitted.transform(unseen)), spark, 0.0);
    OnlineScorer online = OnlineScorer.of(new ScoringModel("eif", "1", loaded, GoldSchema.FEATURES, dir.toString()));
    assertEquals(((ExtendedIsolationForestModel) fitted.stages()[2]).threshold(), online.threshold(), 0.0);
    List<Row> inputs = unseen.orderBy("TransactionID").select(
        java.util.Arrays.stream(FEATURES).map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new))
        .collectAsList();
    double[] scratch = new double[FEATURES.length];
    for (int i = 0; i < inputs.size(); i++) {
      double[] raw = new double[FEATURES.length];
      for (int f = 0; f < raw.length; f++) {
        raw[f] = ((Number) inputs.get(i).get(f)).doubleValue();
      }
      assertEquals(spark[i], online.score(raw, scratch), 1e-12, "row " + i);
    }
  }
}
