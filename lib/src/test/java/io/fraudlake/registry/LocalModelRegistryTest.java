package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalModelRegistryTest extends ModelRegistryContract {
  private Path root;

  @Override
  protected ModelRegistry newRegistry() {
    root = SharedSpark.freshConfig().registryDir();
    return new LocalModelRegistry(root);
  }

  @Override
  protected ModelRegistry newRegistryLike() {
    return new LocalModelRegistry(root);
  }

  @Test
  void writesMlflowFileStoreLayout() throws IOException {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String runId = registry.startRun(exp, "layout", Map.of());
    registry.logParams(runId, Map.of("trees", "200"));
    registry.logMetric(runId, "auroc", 0.9, 3);
    registry.logArtifacts(runId, modelDir("layout"), "model");
    registry.endRun(runId, RunStatus.FAILED);
    registry.createRegisteredModel("fraud_isolation_forest");
    registry.createModelVersion("fraud_isolation_forest", runId, "model");
    registry.setAlias("fraud_isolation_forest", "prod", 1);

    Map<String, Object> defaultExp = YamlFiles.read(root.resolve("0/meta.yaml"));
    assertEquals("Default", defaultExp.get("name"));
    assertEquals("0", defaultExp.get("experiment_id"), "experiment ids are strings, as MLflow writes them");
    assertTrue(Files.isDirectory(root.resolve(".trash")));

    Map<String, Object> expMeta = YamlFiles.read(root.resolve(exp).resolve("meta.yaml"));
    assertEquals("fraud-detection", expMeta.get("name"));
    assertEquals("active", expMeta.get("lifecycle_stage"));
    assertEquals(root.resolve(exp).toUri().toString().replaceAll("/$", ""), expMeta.get("artifact_location"));

    Path runDir = root.resolve(exp).resolve(runId);
    Map<String, Object> runMeta = YamlFiles.read(runDir.resolve("meta.yaml"));
    assertEquals(4, runMeta.get("status"), "FAILED is stored as MLflow's integer code");
    assertEquals(runId, runMeta.get("run_uuid"));
    assertEquals(exp, runMeta.get("experiment_id"));
    assertEquals("layout", runMeta.get("run_name"));
    assertTrue(String.valueOf(runMeta.get("artifact_uri")).endsWith("/" + exp + "/" + runId + "/artifacts"));
    assertEquals("200", Files.readString(runDir.resolve("params/trees")));
    String[] metricLine = Files.readString(runDir.resolve("metrics/auroc")).trim().split(" ");
    assertEquals(3, metricLine.length, "timestamp value step");
    assertEquals("0.9", metricLine[1]);
    assertEquals("3", metricLine[2]);
    assertEquals("layout", Files.readString(runDir.resolve("tags/mlflow.runName")));
    assertTrue(Files.isRegularFile(runDir.resolve("artifacts/model/MLmodel")));

    Path modelDir = root.resolve("models/fraud_isolation_forest");
    assertEquals("fraud_isolation_forest", YamlFiles.read(modelDir.resolve("meta.yaml")).get("name"));
    Map<String, Object> version = YamlFiles.read(modelDir.resolve("version-1/meta.yaml"));
    assertEquals(1, version.get("version"));
    assertEquals(runId, version.get("run_id"));
    assertEquals("READY", version.get("status"));
    assertEquals("None", version.get("current_stage"));
    assertTrue(String.valueOf(version.get("source")).endsWith(runId + "/artifacts/model"));
    assertEquals("1", Files.readString(modelDir.resolve("aliases/prod")));
    String yamlText = Files.readString(modelDir.resolve("version-1/meta.yaml"));
    assertFalse(yamlText.contains("{"), "block style like MLflow's yaml.safe_dump:\n" + yamlText);
  }

  @Test
  void survivesReopeningTheFolder() throws IOException {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String runId = registry.startRun(exp, null, Map.of());
    registry.logArtifacts(runId, modelDir("reopen"), "model");
    registry.createRegisteredModel("m");
    registry.createModelVersion("m", runId, "model");
    registry.setAlias("m", "prod", 1);

    try (ModelRegistry reopened = new LocalModelRegistry(root)) {
      assertEquals(exp, reopened.getOrCreateExperiment("fraud-detection"));
      assertEquals(1, reopened.resolve("models:/m@prod").version());
      assertTrue(reopened.getRun(runId).runName().startsWith("run-"), "a name is generated when none is given");
      assertEquals(List.of("m"), reopened.listRegisteredModels().stream().map(RegisteredModelInfo::name).toList());
    }
  }
}
