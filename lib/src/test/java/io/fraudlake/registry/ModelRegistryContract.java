package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One behavioural scenario every backend must pass, so that the local registry and an MLflow
 * server really offer the same operations with the same answers and errors.
 */
abstract class ModelRegistryContract {
  protected ModelRegistry registry;

  protected abstract ModelRegistry newRegistry();

  @BeforeEach
  void open() {
    registry = newRegistry();
  }

  @AfterEach
  void closeRegistry() {
    registry.close();
  }

  static Path modelDir(String marker) throws IOException {
    Path dir = SharedSpark.tempDir("model");
    Files.writeString(dir.resolve("MLmodel"), "artifact_path: model\nrun_marker: " + marker + "\n");
    Files.createDirectories(dir.resolve("sparkml/metadata"));
    Files.writeString(dir.resolve("sparkml/metadata/part-00000"), "{\"class\":\"x\",\"marker\":\"" + marker + "\"}");
    return dir;
  }

  private String runWithModel(String experimentId, String marker) throws IOException {
    String runId = registry.startRun(experimentId, "train-" + marker, Map.of("purpose", "test"));
    registry.logArtifacts(runId, modelDir(marker), "model");
    registry.endRun(runId, RunStatus.FINISHED);
    return runId;
  }

  @Test
  void tracksExperimentsRunsParamsMetricsTagsAndArtifacts() throws IOException {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    assertEquals(exp, registry.getOrCreateExperiment("fraud-detection"), "get-or-create returns the same experiment");
    assertFalse(exp.equals(registry.getOrCreateExperiment("other")));

    String runId = registry.startRun(exp, "train-1", Map.of("git_sha", "abc123"));
    registry.logParams(runId, Map.of("trees", "200", "samples", "256"));
    registry.logParams(runId, Map.of("trees", "200"));
    registry.logMetric(runId, "loss", 0.9, 0);
    registry.logMetric(runId, "loss", 0.5, 2);
    registry.logMetric(runId, "loss", 0.7, 1);
    registry.logMetrics(runId, Map.of("auroc", 0.91, "auprc", 0.42), 0);
    registry.logBatch(runId, Map.of("seed", "42"), List.of(Metric.of("fit_seconds", 1.5, 0)), Map.of("stage", "fit"));
    registry.setTags(runId, Map.of("data_version", "7"));

    Path file = SharedSpark.tempDir("art").resolve("report.json");
    Files.writeString(file, "{\"auroc\": 0.91}");
    registry.logArtifact(runId, file, "reports");
    Path dir = SharedSpark.tempDir("art");
    Files.createDirectories(dir.resolve("plots/sub"));
    Files.writeString(dir.resolve("plots/roc.txt"), "roc");
    Files.writeString(dir.resolve("plots/sub/pr.txt"), "pr");
    registry.logArtifacts(runId, dir, "");

    RunInfo running = registry.getRun(runId);
    assertEquals(RunStatus.RUNNING, running.status());
    assertTrue(running.endTime().isEmpty());

    registry.endRun(runId, RunStatus.FINISHED);
    RunInfo run = registry.getRun(runId);
    assertEquals(runId, run.runId());
    assertEquals(exp, run.experimentId());
    assertEquals("train-1", run.runName());
    assertEquals(RunStatus.FINISHED, run.status());
    assertTrue(run.endTime().isPresent());
    assertFalse(run.startTime().isAfter(run.endTime().get()));
    assertEquals(Map.of("trees", "200", "samples", "256", "seed", "42"), run.params());
    assertEquals(0.5, run.metrics().get("loss"), "the value at the highest step wins");
    assertEquals(0.91, run.metrics().get("auroc"));
    assertEquals(1.5, run.metrics().get("fit_seconds"));
    assertEquals("abc123", run.tags().get("git_sha"));
    assertEquals("fit", run.tags().get("stage"));
    assertEquals("7", run.tags().get("data_version"));
    assertEquals("train-1", run.tags().get("mlflow.runName"));
    assertTrue(run.tags().containsKey("mlflow.user"));
    assertFalse(run.artifactUri().isBlank());

    Path all = registry.downloadRunArtifacts(runId, "", SharedSpark.tempDir("dl").resolve("all"));
    assertEquals(List.of("plots/roc.txt", "plots/sub/pr.txt", "reports/report.json"), ArtifactPaths.listFiles(all));
    assertEquals("pr", Files.readString(all.resolve("plots/sub/pr.txt")));
    Path one = registry.downloadRunArtifacts(runId, "reports/report.json", SharedSpark.tempDir("dl"));
    assertEquals("{\"auroc\": 0.91}", Files.readString(one));

    FraudLakeException changed = assertThrows(FraudLakeException.class,
        () -> registry.logParams(runId, Map.of("trees", "100")));
    assertTrue(changed.getMessage().contains("trees"), changed.getMessage());
    FraudLakeException missingArtifact = assertThrows(FraudLakeException.class,
        () -> registry.downloadRunArtifacts(runId, "nope", SharedSpark.tempDir("dl")));
    assertTrue(missingArtifact.getMessage().contains("no artifact at 'nope'"), missingArtifact.getMessage());
    FraudLakeException missingRun = assertThrows(FraudLakeException.class, () -> registry.getRun("0123456789abcdef"));
    assertTrue(missingRun.getMessage().startsWith("run '0123456789abcdef' not found"), missingRun.getMessage());
  }

  @Test
  void registersVersionsMovesAliasesAndResolvesModelUris() throws IOException {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String run1 = runWithModel(exp, "one");
    String run2 = runWithModel(exp, "two");

    RegisteredModelInfo model = registry.createRegisteredModel("fraud_isolation_forest");
    assertEquals("fraud_isolation_forest", model.name());
    assertEquals(model.creationTime(), registry.createRegisteredModel("fraud_isolation_forest").creationTime(),
        "creating an existing model returns it");

    ModelVersionInfo v1 = registry.createModelVersion("fraud_isolation_forest", run1, "model");
    ModelVersionInfo v2 = registry.createModelVersion("fraud_isolation_forest", run2, "model");
    assertEquals(1, v1.version());
    assertEquals(2, v2.version());
    assertEquals(run1, v1.runId());
    assertEquals("READY", v1.status());
    assertTrue(v1.source().endsWith("/model"), v1.source());
    assertEquals(ModelUri.parse("models:/fraud_isolation_forest/2"), v2.uri());

    registry.setAlias("fraud_isolation_forest", "prod", 1);
    registry.setAlias("fraud_isolation_forest", "challenger", 2);
    ModelVersionInfo prod = registry.resolve("models:/fraud_isolation_forest@prod");
    assertEquals(1, prod.version());
    assertEquals(List.of("prod"), prod.aliases());
    assertEquals(run1, prod.runId());
    ModelVersionInfo second = registry.resolve(ModelUri.parse("models:/fraud_isolation_forest/2"));
    assertEquals(List.of("challenger"), second.aliases());

    Path downloaded = registry.downloadModelVersion(prod, SharedSpark.tempDir("dl").resolve("prod"));
    assertTrue(Files.readString(downloaded.resolve("MLmodel")).contains("run_marker: one"));
    assertTrue(Files.readString(downloaded.resolve("sparkml/metadata/part-00000")).contains("one"));

    // Promotion: prod moves to the challenger's version.
    registry.setAlias("fraud_isolation_forest", "prod", 2);
    assertEquals(2, registry.resolve("models:/fraud_isolation_forest@prod").version());
    assertEquals(List.of("challenger", "prod"), registry.getModelVersion("fraud_isolation_forest", 2).aliases());
    assertEquals(List.of(), registry.getModelVersion("fraud_isolation_forest", 1).aliases());
    assertEquals(Map.of("prod", 2L, "challenger", 2L),
        registry.listRegisteredModels().stream().filter(m -> m.name().equals("fraud_isolation_forest"))
            .findFirst().orElseThrow().aliases());

    assertEquals(List.of(2L, 1L), registry.searchModelVersions("fraud_isolation_forest").stream()
        .map(ModelVersionInfo::version).toList());
    registry.createRegisteredModel("another_model");
    assertEquals(List.of("another_model", "fraud_isolation_forest"),
        registry.listRegisteredModels().stream().map(RegisteredModelInfo::name).toList());
    assertEquals(List.of(), registry.searchModelVersions("another_model"));

    registry.deleteAlias("fraud_isolation_forest", "challenger");
    registry.deleteAlias("fraud_isolation_forest", "challenger");
    FraudLakeException noAlias = assertThrows(FraudLakeException.class,
        () -> registry.resolve("models:/fraud_isolation_forest@challenger"));
    assertEquals("alias 'challenger' is not set on model 'fraud_isolation_forest'", noAlias.getMessage());
  }

  @Test
  void reportsMissingModelsVersionsAliasesAndArtifactsClearly() throws IOException {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String run = runWithModel(exp, "x");

    FraudLakeException noModel = assertThrows(FraudLakeException.class, () -> registry.resolve("models:/nope/1"));
    assertTrue(noModel.getMessage().startsWith("registered model 'nope' not found"), noModel.getMessage());
    FraudLakeException noModelAlias = assertThrows(FraudLakeException.class, () -> registry.resolve("models:/nope@prod"));
    assertTrue(noModelAlias.getMessage().startsWith("registered model 'nope' not found"), noModelAlias.getMessage());
    assertThrows(FraudLakeException.class, () -> registry.createModelVersion("nope", run, "model"));

    registry.createRegisteredModel("m");
    FraudLakeException noVersion = assertThrows(FraudLakeException.class, () -> registry.getModelVersion("m", 3));
    assertEquals("registered model 'm' version 3 not found", noVersion.getMessage());
    FraudLakeException noAlias = assertThrows(FraudLakeException.class, () -> registry.getModelVersionByAlias("m", "prod"));
    assertEquals("alias 'prod' is not set on model 'm'", noAlias.getMessage());
    assertThrows(FraudLakeException.class, () -> registry.setAlias("m", "prod", 1));
    FraudLakeException noArtifact = assertThrows(FraudLakeException.class,
        () -> registry.createModelVersion("m", run, "not-logged"));
    assertTrue(noArtifact.getMessage().contains("no artifact at 'not-logged'"), noArtifact.getMessage());
    assertThrows(FraudLakeException.class, () -> registry.setAlias("m", "latest", 1));
    assertThrows(FraudLakeException.class, () -> registry.deleteAlias("nope", "prod"));
  }

  @Test
  void concurrentVersionCreationNeverReusesANumber() throws Exception {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String run = runWithModel(exp, "c");
    registry.createRegisteredModel("concurrent");
    ModelRegistry second = newRegistryLike();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (ModelRegistry r : List.of(registry, second)) {
        futures.add(pool.submit(() -> {
          start.await();
          List<Long> mine = new ArrayList<>();
          for (int i = 0; i < 5; i++) {
            mine.add(r.createModelVersion("concurrent", run, "model").version());
          }
          return mine;
        }));
      }
      start.countDown();
      List<Long> all = Collections.synchronizedList(new ArrayList<>());
      for (Future<List<Long>> f : futures) {
        all.addAll(f.get());
      }
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), all.stream().sorted().collect(Collectors.toList()));
      assertEquals(10, registry.searchModelVersions("concurrent").size());
    } finally {
      pool.shutdownNow();
      second.close();
    }
  }

  /** A second, independent client of the same store (another process, as far as the store can tell). */
  protected abstract ModelRegistry newRegistryLike();
}
