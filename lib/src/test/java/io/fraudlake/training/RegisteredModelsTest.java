package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.registry.Signature;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Loading registered models: the signature decides whether a model may score silver. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegisteredModelsTest {
  FraudLakeConfig config;
  ModelRegistry registry;
  Dataset<Row> silver;
  PipelineModel model;

  @BeforeAll
  void fit() {
    config = SharedSpark.freshConfig(Map.of("model.trees", "10", "model.samples-per-tree", "64"));
    registry = new LocalModelRegistry(config);
    silver = SilverFixture.rows(SharedSpark.session(), 1_000, 0.05, 5);
    model = ModelTrainer.fit(TrainingSettings.fromConfig(config), silver);
  }

  private ModelVersionInfo register(String name, StructType signature) {
    String runId = registry.startRun(registry.getOrCreateExperiment("signatures"), null, Map.of());
    Path dir = MlflowModelDirectory.builder(SharedSpark.tempDir("model").resolve("model"))
        .runId(runId)
        .signature(Signature.of(signature, TrainingJob.OUTPUTS))
        .sparkModel(p -> TrainingJob.saveSparkModel(model, p), PipelineModel.class.getName())
        .write()
        .directory();
    registry.logArtifacts(runId, dir, "model");
    registry.endRun(runId, RunStatus.FINISHED);
    registry.createRegisteredModel(name);
    return registry.createModelVersion(name, runId, "model");
  }

  private static StructType replace(String column, org.apache.spark.sql.types.DataType type) {
    StructField[] fields = ModelFeatures.SCHEMA.fields().clone();
    for (int i = 0; i < fields.length; i++) {
      if (fields[i].name().equals(column)) {
        fields[i] = DataTypes.createStructField(column, type, false);
      }
    }
    return new StructType(fields);
  }

  @Test
  void aModelWithTheFeatureSignatureLoadsAndScores() {
    ModelVersionInfo version = register("good", ModelFeatures.SCHEMA);
    LoadedModel loaded = RegisteredModels.load(registry, "models:/good/" + version.version(), SharedSpark.tempDir("cache"));
    assertEquals("good v1", loaded.label());
    assertEquals(ModelFeatures.NAMES, loaded.signature().inputNames());
    loaded.requireCompatible(silver.schema(), "silver");
    assertEquals(1_000, loaded.pipeline().transform(silver).count());
    assertTrue(loaded.threshold() > 0 && loaded.threshold() <= 1);
  }

  @Test
  void aModelWhoseSignatureHasAnotherTypeIsRefused() {
    ModelVersionInfo version = register("retyped", replace("is_high_value_txn", DataTypes.DoubleType));
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> RegisteredModels.load(registry, version.uri().toString(), SharedSpark.tempDir("cache")));
    assertEquals("models:/retyped/1 does not take the 8 silver features as input (its signature: "
        + "is_high_value_txn is double, expected integer); refusing to score with it", e.getMessage());
  }

  @Test
  void aModelWithMissingOrExtraInputsIsRefused() {
    StructType other = new StructType(ModelFeatures.SCHEMA.fields()).add("merchant_risk", DataTypes.DoubleType);
    StructType fewer = new StructType(java.util.Arrays.copyOf(ModelFeatures.SCHEMA.fields(), 7));
    ModelVersionInfo extra = register("extra", other);
    ModelVersionInfo missing = register("missing", fewer);
    Path cache = SharedSpark.tempDir("cache");
    assertTrue(assertThrows(FraudLakeException.class, () -> RegisteredModels.load(registry, extra, cache))
        .getMessage().contains("unexpected input merchant_risk"));
    assertTrue(assertThrows(FraudLakeException.class, () -> RegisteredModels.load(registry, missing, cache))
        .getMessage().contains("product_diversity_5min missing"));
  }

  @Test
  void inputThatDoesNotMatchTheSignatureIsRefused() {
    ModelVersionInfo version = register("strict", ModelFeatures.SCHEMA);
    LoadedModel loaded = RegisteredModels.load(registry, version, SharedSpark.tempDir("cache"));
    Dataset<Row> wrong = silver.withColumn("txn_count_5min", silver.col("txn_count_5min").cast("string"));
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> loaded.requireCompatible(wrong.schema(), "silver"));
    assertEquals("silver cannot feed strict v1: model signature expects txn_count_5min: long but the input has it as string",
        e.getMessage());
  }

  @Test
  void anUnknownAliasIsAOneLineError() {
    register("aliased", ModelFeatures.SCHEMA);
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> RegisteredModels.load(registry, "models:/aliased@prod", SharedSpark.tempDir("cache")));
    assertTrue(e.getMessage().contains("prod") && !e.getMessage().contains("\n"), e.getMessage());
  }
}
