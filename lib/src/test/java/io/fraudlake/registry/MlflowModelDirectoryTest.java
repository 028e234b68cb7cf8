package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class MlflowModelDirectoryTest {
  private static final StructType FEATURES = new StructType()
      .add("TransactionAmt", DataTypes.DoubleType)
      .add("is_high_value_txn", DataTypes.IntegerType)
      .add("txn_count_5min", DataTypes.LongType);
  private static final StructType OUTPUTS = new StructType()
      .add("fraud_score", DataTypes.DoubleType)
      .add("is_anomaly", DataTypes.BooleanType);

  private static Dataset<Row> sample(SparkSession spark) {
    return spark.createDataFrame(List.of(
        org.apache.spark.sql.RowFactory.create(12.5, 0, 1L),
        org.apache.spark.sql.RowFactory.create(1500.0, 1, 4L),
        org.apache.spark.sql.RowFactory.create(80.0, 0, 2L)), FEATURES);
  }

  @Test
  void writesMlflowsModelFormatAroundASparkModelAndReadsItBack() throws IOException {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> data = sample(spark);
    PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(FEATURES.fieldNames()).setOutputCol("features"),
        new StandardScaler().setInputCol("features").setOutputCol("scaled")}).fit(data);

    Path dir = SharedSpark.tempDir("mlmodel").resolve("model");
    MlflowModelDirectory written = MlflowModelDirectory.builder(dir)
        .runId("0123abcd")
        .signature(Signature.of(FEATURES, OUTPUTS))
        .inputExample(data.limit(2))
        .sparkModel(p -> {
          try {
            fitted.write().save(p.toString());
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, PipelineModel.class.getName())
        .extraFile("feature_reference_stats.json", "{\"TransactionAmt\": {\"mean\": 530.8}}")
        .write();

    Map<String, Object> mlmodel = YamlFiles.read(dir.resolve("MLmodel"));
    assertEquals("model", mlmodel.get("artifact_path"));
    assertEquals("0123abcd", mlmodel.get("run_id"));
    assertEquals("2.17.2", mlmodel.get("mlflow_version"));
    @SuppressWarnings("unchecked")
    Map<String, Object> sparkFlavor = (Map<String, Object>) ((Map<String, Object>) mlmodel.get("flavors")).get("spark");
    assertEquals("sparkml", sparkFlavor.get("model_data"));
    assertEquals(spark.version(), sparkFlavor.get("pyspark_version"));
    @SuppressWarnings("unchecked")
    Map<String, Object> sig = (Map<String, Object>) mlmodel.get("signature");
    assertEquals("[{\"type\": \"double\", \"name\": \"TransactionAmt\", \"required\": true}, "
        + "{\"type\": \"integer\", \"name\": \"is_high_value_txn\", \"required\": true}, "
        + "{\"type\": \"long\", \"name\": \"txn_count_5min\", \"required\": true}]", sig.get("inputs"));
    assertTrue(String.valueOf(mlmodel.get("utc_time_created")).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}"));

    JsonNode example = new ObjectMapper().readTree(dir.resolve("input_example.json").toFile());
    assertEquals("[\"TransactionAmt\",\"is_high_value_txn\",\"txn_count_5min\"]", example.get("columns").toString());
    assertEquals("[[12.5,0,1],[1500.0,1,4]]", example.get("data").toString());
    JsonNode serving = new ObjectMapper().readTree(dir.resolve("serving_input_example.json").toFile());
    assertEquals(example, serving.get("dataframe_split"));

    MlflowModelDirectory read = MlflowModelDirectory.read(dir);
    assertEquals(written.signature(), read.signature());
    assertEquals(List.of(ColumnSpec.of("TransactionAmt", "double"), ColumnSpec.of("is_high_value_txn", "integer"),
        ColumnSpec.of("txn_count_5min", "long")), read.signature().inputs());
    assertEquals(dir.resolve("sparkml"), read.sparkModelPath());
    assertTrue(read.file("feature_reference_stats.json").isPresent());
    PipelineModel loaded = PipelineModel.load(read.sparkModelPath().toString());
    assertEquals(3, loaded.transform(data).select("scaled").count());
    read.signature().requireMatches(data.schema());

    // The directory is what train logs and registers, and what scoring downloads and reads back.
    try (ModelRegistry registry = new LocalModelRegistry(SharedSpark.freshConfig())) {
      String runId = registry.startRun(registry.getOrCreateExperiment("e"), "r", Map.of());
      registry.logArtifacts(runId, dir, "model");
      registry.createRegisteredModel("m");
      registry.setAlias("m", "prod", registry.createModelVersion("m", runId, "model").version());
      Path downloaded = registry.downloadModelVersion(registry.resolve("models:/m@prod"), SharedSpark.tempDir("dl").resolve("m"));
      MlflowModelDirectory fromRegistry = MlflowModelDirectory.read(downloaded);
      assertEquals(read.signature(), fromRegistry.signature());
      assertEquals(ArtifactPaths.listFiles(read.sparkModelPath()), ArtifactPaths.listFiles(fromRegistry.sparkModelPath()));
    }
  }

  @Test
  void signatureMismatchNamesTheColumns() {
    Signature signature = Signature.of(FEATURES, OUTPUTS);
    StructType wrongType = new StructType()
        .add("TransactionAmt", DataTypes.DoubleType)
        .add("is_high_value_txn", DataTypes.IntegerType)
        .add("txn_count_5min", DataTypes.DoubleType);
    FraudLakeException mistyped = assertThrows(FraudLakeException.class, () -> signature.requireMatches(wrongType));
    assertEquals("model signature expects txn_count_5min: long but the input has it as double", mistyped.getMessage());

    StructType missing = new StructType().add("TransactionAmt", DataTypes.DoubleType)
        .add("extra", DataTypes.createArrayType(DataTypes.StringType));
    FraudLakeException lacking = assertThrows(FraudLakeException.class, () -> signature.requireMatches(missing));
    assertEquals("model signature expects columns is_high_value_txn, txn_count_5min but the input lacks them",
        lacking.getMessage());
  }

  @Test
  void readingSomethingElseIsAClearError() throws IOException {
    Path empty = SharedSpark.tempDir("notmodel");
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> MlflowModelDirectory.read(empty));
    assertTrue(e.getMessage().startsWith("not an MLflow model directory"), e.getMessage());
    Files.writeString(empty.resolve("MLmodel"), "flavors:\n  python_function: {}\n");
    FraudLakeException noSpark = assertThrows(FraudLakeException.class, () -> MlflowModelDirectory.read(empty));
    assertTrue(noSpark.getMessage().contains("no spark flavor"), noSpark.getMessage());
  }
}
