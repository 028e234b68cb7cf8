package io.fraudlake.iforest.extended;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.serve.OnlineScorer;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.testing.SparkJobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import org.junit.jupiter.api.Test;
import scala.Option;

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

  private static Dataset<Row> assembled(String prefix, int count, long seed) {
    return new VectorAssembler().setInputCols(FEATURES).setOutputCol("features").transform(silver(prefix, count, seed));
  }

  @Test
  void savingAndLoadingAForestStartNoSparkJob() throws Exception {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> rows = assembled("fit", 400, 7);
    ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(500).setMaxSamples(64).setSeed(7)
        .fit(rows);
    String path = SharedSpark.tempDir("eif-no-job").resolve("model").toString();
    assertTrue(!SparkJobs.startedBy(spark, rows::count).isEmpty(), "the job counter sees jobs");

    assertEquals(List.of(), SparkJobs.startedBy(spark, () -> model.write().overwrite().save(path)));
    ExtendedIsolationForestModel[] loaded = new ExtendedIsolationForestModel[1];
    assertEquals(List.of(), SparkJobs.startedBy(spark, () -> loaded[0] = ExtendedIsolationForestModel.load(path)));
    assertEquals(500, loaded[0].numTrees());
    assertArrayEquals(scores(model.transform(rows)), scores(loaded[0].transform(rows)), 0.0);
  }

  /** The Spark schema and the writing of the previous version, kept here as the fixture it now is. */
  private static final StructType PREVIOUS_NODE_SCHEMA = new StructType()
      .add("tree", DataTypes.IntegerType, false)
      .add("node", DataTypes.IntegerType, false)
      .add("left", DataTypes.IntegerType, false)
      .add("size", DataTypes.IntegerType, false)
      .add("offset", DataTypes.DoubleType, false)
      .add("normal", DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  private static void saveAsThePreviousVersion(ExtendedIsolationForestModel model, String path) {
    SparkSession spark = SharedSpark.session();
    DefaultParamsWriter$.MODULE$.saveMetadata(model, path, spark, Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(
        new ObjectMapper().createObjectNode()
            .put("format", "fraudlake-extended-isolation-forest-nodes-1")
            .put("numTrees", model.numTrees())
            .put("sampleSize", model.sampleSize())
            .put("numFeatures", model.numFeatures())
            .put("extensionLevel", model.extensionLevel()))));
    List<Row> nodes = new ArrayList<>();
    int width = model.numFeatures();
    for (int t = 0; t < model.numTrees(); t++) {
      ExtendedIsolationTree tree = model.tree(t);
      for (int n = 0; n < tree.nodeCount(); n++) {
        boolean leaf = tree.isLeaf(n);
        double[] normal = new double[leaf ? 0 : width];
        System.arraycopy(tree.normals, n * width, normal, 0, normal.length);
        nodes.add(RowFactory.create(t, n, tree.left[n], tree.size[n], leaf ? 0.0 : tree.offset[n], normal));
      }
    }
    spark.createDataFrame(nodes, PREVIOUS_NODE_SCHEMA).coalesce(1).write().parquet(path + "/data");
  }

  @Test
  void modelsSavedByThePreviousVersionStillLoad() throws IOException {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> rows = assembled("fit", 400, 8);
    ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(20).setMaxSamples(64)
        .setExtensionLevel(2).setSeed(8).fit(rows);
    Path dir = SharedSpark.tempDir("eif-previous");
    String previous = dir.resolve("previous").toString();
    saveAsThePreviousVersion(model, previous);
    ExtendedIsolationForestModel loaded = ExtendedIsolationForestModel.load(previous);
    assertEquals(model.uid(), loaded.uid());
    assertEquals(2, loaded.extensionLevel());
    assertArrayEquals(scores(model.transform(rows)), scores(loaded.transform(rows)), 0.0);

    String current = dir.resolve("current").toString();
    model.write().save(current);
    Dataset<Row> before = spark.read().parquet(previous + "/data");
    Dataset<Row> now = spark.read().parquet(current + "/data");
    assertEquals(before.schema(), now.schema());
    assertEquals(0, before.exceptAll(now).count());
    assertEquals(0, now.exceptAll(before).count());
  }

  @Test
  void aDamagedNodeFileIsNamedOnOneLine() throws IOException {
    ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(3).setMaxSamples(32).setSeed(1)
        .fit(assembled("fit", 100, 1));
    Path path = SharedSpark.tempDir("eif-damaged").resolve("model");
    model.write().save(path.toString());
    Path file;
    try (Stream<Path> files = Files.list(path.resolve("data"))) {
      file = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    Files.writeString(file, "not a parquet file");
    FraudLakeException error = assertThrows(FraudLakeException.class,
        () -> ExtendedIsolationForestModel.load(path.toString()));
    assertTrue(!error.getMessage().contains("\n"), error.getMessage());
    assertTrue(error.getMessage().startsWith("ExtendedIsolationForestModel: corrupt node data file"), error.getMessage());
    assertTrue(error.getMessage().contains(file.toString()), error.getMessage());
  }
}
