package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.testing.SparkJobs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;

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

  @Test
  void savingAndLoadingAForestStartNoSparkJob() throws Exception {
    SparkSession spark = SharedSpark.session();
    IsolationForestModel model = new IsolationForest().setNumTrees(500).setSeed(11).fit(mammography);
    String path = SharedSpark.tempDir("iforest-no-job").resolve("model").toString();
    assertTrue(!SparkJobs.startedBy(spark, () -> mammography.count()).isEmpty(), "the job counter sees jobs");

    assertEquals(List.of(), SparkJobs.startedBy(spark, () -> model.write().overwrite().save(path)));
    IsolationForestModel[] loaded = new IsolationForestModel[1];
    assertEquals(List.of(), SparkJobs.startedBy(spark, () -> loaded[0] = IsolationForestModel.load(path)));
    assertEquals(500, loaded[0].numTrees());
    assertArrayEquals(scores(model.transform(mammography)), scores(loaded[0].transform(mammography)), 0.0);
  }

  /** The Spark schema and the writing of the previous version, kept here as the fixture it now is. */
  private static final StructType PREVIOUS_NODE_SCHEMA = new StructType()
      .add("tree", DataTypes.IntegerType, false)
      .add("node", DataTypes.IntegerType, false)
      .add("feature", DataTypes.IntegerType, false)
      .add("split", DataTypes.DoubleType, false)
      .add("left", DataTypes.IntegerType, false)
      .add("right", DataTypes.IntegerType, false)
      .add("size", DataTypes.IntegerType, false);

  private static void saveAsThePreviousVersion(IsolationForestModel model, String path,
      Function<Dataset<Row>, Dataset<Row>> layout) {
    SparkSession spark = SharedSpark.session();
    DefaultParamsWriter$.MODULE$.saveMetadata(model, path, spark, Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(
        new ObjectMapper().createObjectNode()
            .put("format", "fraudlake-isolation-forest-nodes-1")
            .put("numTrees", model.numTrees())
            .put("sampleSize", model.sampleSize())
            .put("numFeatures", model.numFeatures()))));
    List<Row> nodes = new ArrayList<>();
    for (int t = 0; t < model.trees().length; t++) {
      IsolationTree tree = model.trees()[t];
      for (int n = 0; n < tree.nodeCount(); n++) {
        boolean leaf = tree.isLeaf(n);
        nodes.add(RowFactory.create(t, n, tree.feature[n], leaf ? 0.0 : tree.split[n],
            tree.left[n], leaf ? IsolationTree.LEAF : tree.left[n] + 1, tree.size[n]));
      }
    }
    layout.apply(spark.createDataFrame(nodes, PREVIOUS_NODE_SCHEMA)).write().parquet(path + "/data");
  }

  @Test
  void modelsSavedByThePreviousVersionStillLoad() throws IOException {
    SparkSession spark = SharedSpark.session();
    IsolationForestModel model = new IsolationForest().setNumTrees(20).setSeed(4).setScoreCol("fraud_score")
        .fit(mammography);
    double[] expected = scores(model.transform(mammography));
    Path dir = SharedSpark.tempDir("iforest-previous");
    String previous = dir.resolve("previous").toString();
    saveAsThePreviousVersion(model, previous, nodes -> nodes.coalesce(1));
    IsolationForestModel loaded = IsolationForestModel.load(previous);
    assertEquals(model.uid(), loaded.uid());
    assertEquals(model.threshold(), loaded.threshold(), 0.0);
    assertArrayEquals(expected, scores(loaded.transform(mammography)), 0.0);

    String shuffled = dir.resolve("shuffled").toString();
    saveAsThePreviousVersion(model, shuffled, nodes -> nodes.repartition(3));
    assertArrayEquals(expected, scores(IsolationForestModel.load(shuffled).transform(mammography)), 0.0);

    String current = dir.resolve("current").toString();
    model.write().save(current);
    Dataset<Row> before = spark.read().parquet(previous + "/data");
    Dataset<Row> now = spark.read().parquet(current + "/data");
    assertEquals(before.schema(), now.schema());
    assertEquals(0, before.exceptAll(now).count());
    assertEquals(0, now.exceptAll(before).count());
    DefaultParamsReader.Metadata sparkBefore = DefaultParamsReader$.MODULE$.loadMetadata(previous, spark,
        IsolationForestModel.class.getName());
    DefaultParamsReader.Metadata sparkNow = DefaultParamsReader$.MODULE$.loadMetadata(current, spark,
        IsolationForestModel.class.getName());
    assertEquals(sparkBefore.uid(), sparkNow.uid());
    assertEquals(sparkBefore.params(), sparkNow.params());
    assertEquals(sparkBefore.defaultParams(), sparkNow.defaultParams());
  }

  @Test
  void overwriteReplacesTheModelAndAPlainSaveRefusesAnExistingPath() throws IOException {
    String path = SharedSpark.tempDir("iforest-overwrite").resolve("model").toString();
    new IsolationForest().setNumTrees(3).setSeed(1).fit(mammography).write().save(path);
    IsolationForestModel bigger = new IsolationForest().setNumTrees(5).setSeed(2).fit(mammography);
    assertThrows(IOException.class, () -> bigger.write().save(path));
    bigger.write().overwrite().save(path);
    assertEquals(5, IsolationForestModel.load(path).numTrees());
  }

  private static void assertOneLineError(Runnable load, String... fragments) {
    FraudLakeException error = assertThrows(FraudLakeException.class, load::run);
    assertTrue(!error.getMessage().contains("\n"), error.getMessage());
    for (String fragment : fragments) {
      assertTrue(error.getMessage().contains(fragment), error.getMessage());
    }
  }

  private static Path nodeFile(Path model) throws IOException {
    try (Stream<Path> files = Files.list(model.resolve("data"))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
  }

  /** The local file system's checksum, which would otherwise report the damage before Parquet can. */
  private static void dropChecksum(Path file) throws IOException {
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
  }

  @Test
  void aDamagedOrMissingSavedModelIsNamedOnOneLine() throws IOException {
    IsolationForestModel model = new IsolationForest().setNumTrees(4).setSeed(1).fit(mammography);
    Path dir = SharedSpark.tempDir("iforest-damaged");

    Path garbage = dir.resolve("garbage");
    model.write().save(garbage.toString());
    Path file = nodeFile(garbage);
    dropChecksum(file);
    Files.writeString(file, "not a parquet file");
    assertOneLineError(() -> IsolationForestModel.load(garbage.toString()), "IsolationForestModel",
        "corrupt node data file", file.toString());

    Path truncated = dir.resolve("truncated");
    model.write().save(truncated.toString());
    file = nodeFile(truncated);
    dropChecksum(file);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
    assertOneLineError(() -> IsolationForestModel.load(truncated.toString()), "corrupt node data file", file.toString());

    Path noData = dir.resolve("no-data");
    model.write().save(noData.toString());
    try (Stream<Path> files = Files.walk(noData.resolve("data"))) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertOneLineError(() -> IsolationForestModel.load(noData.toString()), "missing node data",
        noData.resolve("data").toString());

    Path nothing = dir.resolve("nothing");
    assertOneLineError(() -> IsolationForestModel.load(nothing.toString()), "no saved model", nothing.toString());
  }
}
