package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.testing.SharedSpark;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelRegistriesTest {
  private final FraudLakeConfig config = SharedSpark.freshConfig();

  @Test
  void noTrackingUriMeansTheLocalRegistryUnderTheRuntimeFolder() {
    try (ModelRegistry r = ModelRegistries.fromEnvironment(config, Map.of())) {
      assertInstanceOf(LocalModelRegistry.class, r);
      assertEquals(config.registryDir(), ((LocalModelRegistry) r).root());
    }
    try (ModelRegistry r = ModelRegistries.fromEnvironment(config, Map.of("MLFLOW_TRACKING_URI", " "))) {
      assertInstanceOf(LocalModelRegistry.class, r);
    }
  }

  @Test
  void httpUriSelectsAServerWithTokenOrBasicAuth() {
    try (ModelRegistry r = ModelRegistries.fromEnvironment(config,
        Map.of("MLFLOW_TRACKING_URI", "http://mlflow.internal:5000/", "MLFLOW_TRACKING_TOKEN", "tok-123456"))) {
      assertInstanceOf(MlflowModelRegistry.class, r);
      assertEquals("MLflow server at http://mlflow.internal:5000", r.describe());
      assertEquals("Bearer tok-123456", ((MlflowModelRegistry) r).connection().authorization().orElseThrow());
      assertFalse(r.toString().contains("tok-123456"), r.toString());
    }
    MlflowConnection basic = ModelRegistries.connectionFor("https://user:urlpass@mlflow.example.com", Map.of(
        "MLFLOW_TRACKING_USERNAME", "alice", "MLFLOW_TRACKING_PASSWORD", "pw-987654"));
    assertTrue(basic.authorization().orElseThrow().startsWith("Basic "));
    assertEquals("https://mlflow.example.com", basic.baseUri().toString(), "user info never stays in the URL");
    assertFalse(basic.toString().contains("pw-987654"), basic.toString());
    assertFalse(basic.toString().contains("urlpass"), basic.toString());
    assertEquals("*** and ***", basic.redact("pw-987654 and " + basic.authorization().get().substring(6)));
    FraudLakeException half = assertThrows(FraudLakeException.class, () ->
        ModelRegistries.connectionFor("http://h:5000", Map.of("MLFLOW_TRACKING_USERNAME", "alice")));
    assertTrue(half.getMessage().contains("MLFLOW_TRACKING_PASSWORD"));
  }

  @Test
  void databricksNeedsHostAndToken() {
    MlflowConnection c = ModelRegistries.connectionFor("databricks",
        Map.of("DATABRICKS_HOST", "adb-123.azuredatabricks.net", "DATABRICKS_TOKEN", "dapi-secret-42"));
    assertTrue(c.isDatabricks());
    assertEquals("https://adb-123.azuredatabricks.net", c.baseUri().toString());
    assertEquals("Databricks MLflow at https://adb-123.azuredatabricks.net", c.describe());
    assertFalse(c.toString().contains("dapi-secret-42"));
    FraudLakeException noHost = assertThrows(FraudLakeException.class, () ->
        ModelRegistries.connectionFor("databricks", Map.of("DATABRICKS_TOKEN", "dapi-secret-42")));
    assertEquals("MLFLOW_TRACKING_URI is 'databricks' but DATABRICKS_HOST is not set", noHost.getMessage());
    FraudLakeException noToken = assertThrows(FraudLakeException.class, () ->
        ModelRegistries.connectionFor("databricks", Map.of("DATABRICKS_HOST", "https://x")));
    assertEquals("MLFLOW_TRACKING_URI is 'databricks' but DATABRICKS_TOKEN is not set", noToken.getMessage());
  }

  @Test
  void unknownSchemesAreRefusedWithoutEchoingSecrets() {
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> ModelRegistries.fromEnvironment(config,
        Map.of("MLFLOW_TRACKING_URI", "postgresql://admin:hunter2@db/mlflow")));
    assertTrue(e.getMessage().startsWith("MLFLOW_TRACKING_URI has an unsupported scheme 'postgresql'"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"));
  }
}
