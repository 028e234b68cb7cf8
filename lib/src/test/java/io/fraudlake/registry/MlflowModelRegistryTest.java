package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.testing.InProcessMlflowServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MlflowModelRegistryTest extends ModelRegistryContract {
  private static final String TOKEN = "dapi-test-token-7f3e9a";
  private static final MlflowConnection.RetryPolicy FAST = new MlflowConnection.RetryPolicy(3, Duration.ofMillis(10));

  private InProcessMlflowServer server;

  @Override
  protected ModelRegistry newRegistry() {
    server = InProcessMlflowServer.start(TOKEN);
    return newRegistryLike();
  }

  @Override
  protected ModelRegistry newRegistryLike() {
    return new MlflowModelRegistry(MlflowConnection.server(server.url(), TOKEN, null, null).withRetryPolicy(FAST));
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void artifactsGoThroughTheServersArtifactProxyWithTheBearerToken() throws Exception {
    String exp = registry.getOrCreateExperiment("fraud-detection");
    String runId = registry.startRun(exp, "proxy", Map.of());
    registry.logArtifacts(runId, modelDir("proxy"), "model");
    assertTrue(registry.getRun(runId).artifactUri().startsWith("mlflow-artifacts:/"));
    assertTrue(server.artifactPaths().contains(exp + "/" + runId + "/artifacts/model/MLmodel"), server.artifactPaths().toString());
    assertTrue(server.requests().stream().anyMatch(r -> r.startsWith("PUT /api/2.0/mlflow-artifacts/artifacts/")));
    assertTrue(server.authorizationHeaders().stream().allMatch(h -> h.equals("Bearer " + TOKEN)),
        "every request, tracking, registry and artifacts, carries the token");
  }

  @Test
  void retriesTransientServerErrorsAndGivesUpAfterABoundedNumberOfAttempts() {
    server.failNext(2, 503);
    assertEquals("m", registry.createRegisteredModel("m").name());
    server.failNext(2, 429);
    assertEquals(1, registry.getOrCreateExperiment("e").length());

    server.failNext(100, 503);
    int before = server.requests().size();
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> registry.listRegisteredModels());
    assertTrue(e.getMessage().contains("HTTP 503"), e.getMessage());
    assertEquals(FAST.maxAttempts(), server.requests().size() - before);
    server.failNext(0, 503);
  }

  @Test
  void unreachableServerIsOneClearLine() {
    String url = server.url();
    server.close();
    try (ModelRegistry down = new MlflowModelRegistry(MlflowConnection.server(url, TOKEN, null, null).withRetryPolicy(FAST))) {
      FraudLakeException tracking = assertThrows(FraudLakeException.class, () -> down.getOrCreateExperiment("x"));
      assertTrue(tracking.getMessage().startsWith("MLflow server at " + url + " is unreachable: "), tracking.getMessage());
      FraudLakeException registryCall = assertThrows(FraudLakeException.class, () -> down.createRegisteredModel("m"));
      assertTrue(registryCall.getMessage().startsWith("MLflow server at " + url + " is unreachable: "), registryCall.getMessage());
      assertFalse(registryCall.getMessage().contains("\n"));
    }
    server = InProcessMlflowServer.start(TOKEN);
  }

  @Test
  void rejectedCredentialsNeverLeakTheToken() {
    String wrong = "dapi-WRONG-secret-31337";
    try (CapturedLogs logs = new CapturedLogs();
         ModelRegistry bad = new MlflowModelRegistry(MlflowConnection.server(server.url(), wrong, null, null).withRetryPolicy(FAST))) {
      FraudLakeException tracking = assertThrows(FraudLakeException.class, () -> bad.getOrCreateExperiment("x"));
      FraudLakeException rest = assertThrows(FraudLakeException.class, () -> bad.resolve("models:/m@prod"));
      for (FraudLakeException e : new FraudLakeException[] {tracking, rest}) {
        assertTrue(e.getMessage().startsWith("MLflow rejected the credentials (HTTP 401)"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong));
        assertFalse(e.getMessage().contains(TOKEN));
      }
      assertFalse(bad.toString().contains(wrong));
      assertFalse(bad.describe().contains(wrong));
      assertFalse(((MlflowModelRegistry) bad).connection().toString().contains(wrong));
      assertFalse(logs.lines().isEmpty(), "the registry's request logging was captured");
      assertFalse(logs.all().contains(wrong), logs.all());
    }
  }

  @Test
  void theFakeServerIsStrictAboutTheDocumentedApi() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> wrongMethod = http.send(request("/api/2.0/mlflow/registered-models/create").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, wrongMethod.statusCode());
    HttpResponse<String> unknown = http.send(request("/api/2.0/mlflow/no-such-endpoint").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.body().contains("\"error_code\":\"ENDPOINT_NOT_FOUND\""), unknown.body());
    HttpResponse<String> unknownField = http.send(request("/api/2.0/mlflow/registered-models/create")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"m\", \"colour\": \"red\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, unknownField.statusCode(), unknownField.body());
    HttpResponse<String> unknownParam = http.send(request("/api/2.0/mlflow/registered-models/get?name=m&colour=red").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, unknownParam.statusCode(), unknownParam.body());
    HttpResponse<String> noToken = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/2.0/mlflow/registered-models/search"))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, noToken.statusCode());
    HttpResponse<String> missing = http.send(request("/api/2.0/mlflow/registered-models/get?name=nope").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());
    assertTrue(missing.body().contains("RESOURCE_DOES_NOT_EXIST"), missing.body());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + TOKEN);
  }
}
