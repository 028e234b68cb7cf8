package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.registry.testing.InProcessMlflowServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same scenario against a Databricks-style connection: aliases become registered-model tags,
 * because the workspace model registry has no alias endpoints.
 */
@Timeout(60)
class DatabricksWorkspaceRegistryTest extends ModelRegistryContract {
  private static final String TOKEN = "dapi-workspace-token-55";
  private InProcessMlflowServer server;

  @Override
  protected ModelRegistry newRegistry() {
    server = InProcessMlflowServer.start(TOKEN);
    return newRegistryLike();
  }

  @Override
  protected ModelRegistry newRegistryLike() {
    return new MlflowModelRegistry(MlflowConnection.databricks(server.url(), TOKEN)
        .withRetryPolicy(new MlflowConnection.RetryPolicy(3, Duration.ofMillis(10))));
  }

  @AfterEach
  void stopServer() {
    assertTrue(server.requests().stream().noneMatch(r -> r.contains("/registered-models/alias")),
        "no alias endpoint is called on a Databricks workspace");
    server.close();
  }

  @Test
  void describesItselfAsDatabricks() {
    assertTrue(registry.describe().startsWith("Databricks MLflow at http://127.0.0.1:"), registry.describe());
  }
}
