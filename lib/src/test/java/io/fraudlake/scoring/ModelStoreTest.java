package io.fraudlake.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.registry.CapturedLogs;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.registry.Signature;
import io.fraudlake.registry.testing.InProcessMlflowServer;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.ModelTrainer;
import io.fraudlake.training.SilverFixture;
import io.fraudlake.training.TrainingJob;
import io.fraudlake.training.TrainingSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The one model path: registries told apart, the cache checked, the signature and classes enforced. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelStoreTest {
  FraudLakeConfig config;
  Dataset<Row> silver;
  PipelineModel modelA;
  PipelineModel modelB;

  @BeforeAll
  void fit() {
    config = SharedSpark.freshConfig(Map.of("model.trees", "10", "model.samples-per-tree", "64"));
    silver = SilverFixture.rows(SharedSpark.session(), 500, 0.05, 5).cache();
    modelA = ModelTrainer.fit(TrainingSettings.fromConfig(config), silver);
    modelB = ModelTrainer.fit(TrainingSettings.fromConfig(config.with(Map.of("model.seed", "99"))), silver);
  }

  /** Logs {@code model} as an MLflow model directory and registers it as {@code name}'s next version. */
  private static ModelVersionInfo register(ModelRegistry registry, String name, Transformer model, StructType signature,
      String modelData) {
    String runId = registry.startRun(registry.getOrCreateExperiment("model-store"), null, Map.of());
    Path dir = MlflowModelDirectory.builder(SharedSpark.tempDir("model").resolve("model"))
        .runId(runId)
        .signature(Signature.of(signature, TrainingJob.OUTPUTS))
        .sparkModel(p -> save(model, p), model.getClass().getName())
        .write()
        .directory();
    if (!modelData.equals(MlflowModelDirectory.SPARK_MODEL_DIR)) {
      rewrite(dir.resolve(MlflowModelDirectory.MLMODEL), "model_data: " + MlflowModelDirectory.SPARK_MODEL_DIR,
          "model_data: " + modelData);
    }
    registry.logArtifacts(runId, dir, "model");
    registry.endRun(runId, RunStatus.FINISHED);
    registry.createRegisteredModel(name);
    return registry.createModelVersion(name, runId, "model");
  }

  private static ModelVersionInfo register(ModelRegistry registry, String name, Transformer model) {
    return register(registry, name, model, ModelFeatures.SCHEMA, MlflowModelDirectory.SPARK_MODEL_DIR);
  }

  private static void save(Transformer model, Path dir) {
    try {
      ((org.apache.spark.ml.util.MLWritable) model).write().save(dir.toUri().toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void rewrite(Path file, String from, String to) {
    try {
      String text = Files.readString(file);
      assertTrue(text.contains(from), file + " holds " + from);
      Files.writeString(file, text.replace(from, to));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<Double> scores(Transformer model) {
    return model.transform(silver).orderBy("TransactionID").select(ModelFeatures.SCORE).collectAsList().stream()
        .map(r -> r.getDouble(0)).toList();
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

  private ModelRegistry remote(InProcessMlflowServer server) {
    return ModelRegistries.fromEnvironment(config, Map.of(ModelRegistries.TRACKING_URI, server.url()));
  }

  private static long downloads(InProcessMlflowServer server) {
    return server.requests().stream().filter(r -> r.startsWith("GET /api/2.0/mlflow-artifacts/artifacts/")).count();
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void aModelWithTheFeatureSignatureLoadsAndScores() {
    ModelRegistry registry = new LocalModelRegistry(config);
    ModelVersionInfo version = register(registry, "good", modelA);
    ScoringModel loaded = new ModelStore(registry, SharedSpark.tempDir("cache")).load("models:/good/" + version.version());
    assertEquals("good v1", loaded.label());
    assertEquals(ModelFeatures.NAMES, loaded.featureColumns());
    assertEquals("models:/good/1", loaded.origin());
    assertEquals(scores(modelA), scores(loaded.transformer()));
  }

  /** The scenario of a shared cache: version 1 of one registry must never stand in for version 1 of another. */
  @Test
  void versionOneOfAnotherRegistryIsNotTakenFromTheCache() {
    FraudLakeConfig home = SharedSpark.freshConfig();
    ModelRegistry local = ModelRegistries.fromEnvironment(home, Map.of());
    String name = home.string("model.name");
    assertEquals(1, register(local, name, modelA).version());
    ScoringModel fromLocal = ModelSources.choose(home, null, null, Map.of()).load("1");
    assertEquals(scores(modelA), scores(fromLocal.transformer()));

    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      Map<String, String> env = Map.of(ModelRegistries.TRACKING_URI, server.url());
      ModelRegistry remote = ModelRegistries.fromEnvironment(home, env);
      ModelVersionInfo v1 = register(remote, name, modelB);
      remote.setAlias(name, "prod", v1.version());

      ModelSource source = ModelSources.choose(home, null, null, env);
      assertEquals("1", source.currentVersion());
      ScoringModel fromServer = source.load("1");
      assertEquals(scores(modelB), scores(fromServer.transformer()));
      assertNotEquals(scores(modelA), scores(fromServer.transformer()), "the two registries hold different models");
      assertTrue(downloads(server) > 0, "version 1 came from the server, not from the local registry's cache entry");
    }
    // Both stay cached side by side, each under its registry.
    assertEquals(scores(modelA), scores(ModelSources.choose(home, null, null, Map.of()).load("1").transformer()));
  }

  @Test
  void aDamagedOrIncompleteCacheEntryIsDownloadedAgain() throws IOException {
    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      ModelRegistry registry = remote(server);
      ModelVersionInfo version = register(registry, "cached", modelA);
      Path cacheDir = SharedSpark.tempDir("cache");
      ModelStore store = new ModelStore(registry, cacheDir);
      store.load(version);
      long firstDownload = downloads(server);
      store.load(version);
      assertEquals(firstDownload, downloads(server), "a sound entry is used as it is");

      Path entry = store.registryFolder().resolve("cached").resolve("1");
      Path dataFile = filesUnder(entry.resolve("model/sparkml/stages")).stream()
          .filter(p -> p.toString().contains("_iforest_") && p.getFileName().toString().endsWith(".parquet")
              && !p.getFileName().toString().startsWith(".")).findFirst().orElseThrow();
      byte[] original = Files.readAllBytes(dataFile);
      Files.write(dataFile, java.util.Arrays.copyOf(original, original.length / 2));
      try (CapturedLogs logs = CapturedLogs.fraudLake()) {
        ScoringModel again = store.load(version);
        assertEquals(scores(modelA), scores(again.transformer()));
        assertTrue(logs.all().contains("not usable") && logs.all().contains(entry.toString()), logs.all());
      }
      assertTrue(downloads(server) > firstDownload, "the damaged copy was replaced from the registry");
      assertTrue(java.util.Arrays.equals(original, Files.readAllBytes(dataFile)));

      // A crash after the download but before the manifest leaves an entry without one.
      Files.delete(entry.resolve(ModelCache.MANIFEST));
      long beforeRefetch = downloads(server);
      assertEquals(scores(modelA), scores(store.load(version).transformer()));
      assertTrue(downloads(server) > beforeRefetch);

      // A file added beside the model is not part of what the registry holds.
      Files.writeString(entry.resolve("model/sparkml/extra.txt"), "x");
      store.load(version);
      assertFalse(Files.exists(entry.resolve("model/sparkml/extra.txt")));
    }
  }

  @Test
  void aRegistryFailingDuringTheDownloadLeavesNothingCachedAndTheNextLoadFetchesAll() throws IOException {
    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      ModelRegistry registry = remote(server);
      ModelVersionInfo version = register(registry, "flaky", modelA);
      Path cacheDir = SharedSpark.tempDir("cache");
      ModelStore store = new ModelStore(registry, cacheDir);
      for (int status : new int[] {503, 0}) {
        server.failDownloadsAfter(3, status);
        ModelCache.DownloadFailedException e = assertThrows(ModelCache.DownloadFailedException.class, () -> store.load(version));
        assertTrue(e.getMessage().startsWith("cannot download models:/flaky/1 from MLflow server at " + server.url() + ": "),
            e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(List.of(), filesUnder(cacheDir), "no half model and no leftover download for status " + status);
        server.heal();
      }
      assertEquals(scores(modelA), scores(store.load(version).transformer()));
    }
  }

  @Test
  void artifactListingsThatLeaveTheModelFolderAreRefused() throws IOException {
    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      ModelRegistry registry = remote(server);
      ModelVersionInfo version = register(registry, "hostile", modelA);
      Path cacheDir = SharedSpark.tempDir("cache").resolve("inner");
      ModelStore store = new ModelStore(registry, cacheDir);
      for (String path : List.of("..", "../../escaped", "/etc/escaped", "sub/../../escaped")) {
        server.listAlso(path, path.equals(".."));
        FraudLakeException e = assertThrows(FraudLakeException.class, () -> store.load(version));
        assertTrue(e.getMessage().contains("refusing to download"), path + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("'" + path + "'"), e.getMessage());
        assertEquals(List.of(), filesUnder(cacheDir.getParent()), "nothing written for " + path);
        server.heal();
      }
    }
  }

  @Test
  void aSparkModelFolderOutsideTheModelDirectoryIsRefused() {
    ModelRegistry registry = new LocalModelRegistry(config);
    ModelVersionInfo version = register(registry, "escaping", modelA, ModelFeatures.SCHEMA, "../sparkml");
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> new ModelStore(registry, SharedSpark.tempDir("cache")).load(version));
    assertTrue(e.getMessage().contains("puts its Spark model at '../sparkml', outside its own folder"), e.getMessage());
  }

  @Test
  void onlyTheClassesFraudLakeSavesAreLoaded() throws IOException {
    ModelRegistry registry = new LocalModelRegistry(config);
    SQLTransformer sql = new SQLTransformer().setStatement("SELECT *, 0.5D AS fraud_score, false AS is_anomaly FROM __THIS__");
    ModelVersionInfo other = register(registry, "sql", sql);
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> new ModelStore(registry, SharedSpark.tempDir("cache")).load(other));
    assertTrue(e.getMessage().contains("names class org.apache.spark.ml.feature.SQLTransformer, which is not one FraudLake saves"),
        e.getMessage());

    // A stage inside an otherwise normal pipeline naming any class on the class path.
    Path saved = SharedSpark.tempDir("pipeline").resolve("sparkml");
    save(modelA, saved);
    Path stageMetadata = filesUnder(saved.resolve("stages")).stream()
        .filter(p -> p.toString().contains("_vecAssembler_") && p.getFileName().toString().startsWith("part-"))
        .findFirst().orElseThrow();
    String json = Files.readString(stageMetadata, StandardCharsets.UTF_8);
    Files.writeString(stageMetadata, json.replace("org.apache.spark.ml.feature.VectorAssembler", "java.lang.ProcessBuilder"));
    FraudLakeException stage = assertThrows(FraudLakeException.class, () -> ModelDirectorySource.loadTransformer(saved));
    assertTrue(stage.getMessage().contains("names class java.lang.ProcessBuilder"), stage.getMessage());
    assertTrue(stage.getMessage().contains("stages/"), "the message names the stage: " + stage.getMessage());
  }

  @Test
  void aModelWhoseSignatureHasAnotherTypeIsRefused() {
    ModelRegistry registry = new LocalModelRegistry(config);
    ModelVersionInfo version = register(registry, "retyped", modelA, replace("is_high_value_txn", DataTypes.DoubleType),
        MlflowModelDirectory.SPARK_MODEL_DIR);
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> new ModelStore(registry, SharedSpark.tempDir("cache")).load(version.uri().toString()));
    assertEquals("models:/retyped/1 does not take the 8 silver features as input (its signature: "
        + "is_high_value_txn is double, expected integer); refusing to score with it", e.getMessage());
  }

  @Test
  void aModelWithMissingOrExtraInputsIsRefused() {
    ModelRegistry registry = new LocalModelRegistry(config);
    StructType other = new StructType(ModelFeatures.SCHEMA.fields()).add("merchant_risk", DataTypes.DoubleType);
    StructType fewer = new StructType(java.util.Arrays.copyOf(ModelFeatures.SCHEMA.fields(), 7));
    ModelVersionInfo extra = register(registry, "extra", modelA, other, MlflowModelDirectory.SPARK_MODEL_DIR);
    ModelVersionInfo missing = register(registry, "missing", modelA, fewer, MlflowModelDirectory.SPARK_MODEL_DIR);
    ModelStore store = new ModelStore(registry, SharedSpark.tempDir("cache"));
    assertTrue(assertThrows(FraudLakeException.class, () -> store.load(extra))
        .getMessage().contains("unexpected input merchant_risk"));
    assertTrue(assertThrows(FraudLakeException.class, () -> store.signature(missing))
        .getMessage().contains("product_diversity_5min missing"));
  }

  @Test
  void inputThatDoesNotMatchTheSignatureIsRefused() {
    ModelRegistry registry = new LocalModelRegistry(config);
    ModelVersionInfo version = register(registry, "strict", modelA);
    ScoringModel loaded = new ModelStore(registry, SharedSpark.tempDir("cache")).load(version);
    Dataset<Row> wrong = silver.withColumn("txn_count_5min", silver.col("txn_count_5min").cast("string"));
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> SignatureCheck.require(wrong.schema(), "silver", loaded));
    assertEquals("silver does not match the signature of strict v1: txn_count_5min is string, model expects bigint",
        e.getMessage());
  }

  @Test
  void anUnknownAliasIsAOneLineError() {
    ModelRegistry registry = new LocalModelRegistry(config);
    register(registry, "aliased", modelA);
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> new ModelStore(registry, SharedSpark.tempDir("cache")).load("models:/aliased@prod"));
    assertTrue(e.getMessage().contains("prod") && !e.getMessage().contains("\n"), e.getMessage());
  }
}
