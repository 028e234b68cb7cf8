package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IsolationForestPersistenceTest {
  private static Dataset<Row> mammography;

  @BeforeAll
  static void data() {
    mammography = OddsData.load("mammography");
  }

  private static double[] scores(Dataset<Row> scored) {
    List<Row> rows = scored.select("fraud_score").collectAsList();
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = rows.get(i).getDouble(0);
    }
    return out;
  }

  @Test
  void savedModelScoresExactlyAsTheOriginal() throws IOException {
    IsolationForestModel model = new IsolationForest().setNumTrees(30).setSeed(3).setMaxFeatures(0.5)
        .setScoreCol("fraud_score").fit(mammography);
    String path = SharedSpark.tempDir("iforest-model").resolve("model").toString();
    model.write().overwrite().save(path);
    IsolationForestModel loaded = IsolationForestModel.load(path);
    assertEquals(model.uid(), loaded.uid());
    assertEquals(model.threshold(), loaded.threshold(), 0.0);
    assertEquals(model.numTrees(), loaded.numTrees());
    assertEquals(model.numFeatures(), loaded.numFeatures());
    assertEquals(model.sampleSize(), loaded.sampleSize());
    assertArrayEquals(scores(model.transform(mammography)), scores(loaded.transform(mammography)), 0.0);
    assertEquals(model.transform(mammography).filter("is_anomaly").count(),
        loaded.transform(mammography).filter("is_anomaly").count());

    IsolationForest estimator = new IsolationForest().setNumTrees(7).setContamination(0.1).setThreshold(0.61);
    String estimatorPath = SharedSpark.tempDir("iforest-estimator").resolve("estimator").toString();
    estimator.save(estimatorPath);
    IsolationForest reloaded = IsolationForest.load(estimatorPath);
    assertEquals(7, reloaded.getNumTrees());
    assertEquals(0.1, reloaded.getContamination());
    assertEquals(0.61, reloaded.getThreshold());
  }

  @Test
  void worksInsideAPipelineThatIsSavedAndLoaded() throws IOException {
    Dataset<Row> raw = SharedSpark.session().read().option("comment", "#").option("inferSchema", "true")
        .csv(SharedSpark.oddsFile("mammography").toString())
        .cache();
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(new String[] {"_c0", "_c1", "_c2", "_c3", "_c4", "_c5"})
            .setOutputCol("raw_features"),
        new StandardScaler().setInputCol("raw_features").setOutputCol("features"),
        new IsolationForest().setNumTrees(25).setSeed(5)});
    String pipelinePath = SharedSpark.tempDir("iforest-pipeline").resolve("pipeline").toString();
    pipeline.save(pipelinePath);
    PipelineModel fitted = Pipeline.load(pipelinePath).fit(raw);
    String path = SharedSpark.tempDir("iforest-pipeline-model").resolve("model").toString();
    fitted.save(path);
    PipelineModel loaded = PipelineModel.load(path);
    assertInstanceOf(IsolationForestModel.class, loaded.stages()[2]);
    assertArrayEquals(scores(fitted.transform(raw)), scores(loaded.transform(raw)), 0.0);
  }
}
