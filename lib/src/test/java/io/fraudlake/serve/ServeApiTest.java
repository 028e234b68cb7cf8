package io.fraudlake.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.RegistryModelSource;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.testing.SharedSpark;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The service's HTTP contract, over real HTTP on loopback, with a real saved model. */
class ServeApiTest {
  private static final String NAME = "fraud_isolation_forest";
  private static Path model;
  private static ServeServer server;
  private static ServeClient client;

  @BeforeAll
  static void start() throws Exception {
    model = ScoringFixtures.saveMlflowModel(SharedSpark.session(), SharedSpark.tempDir("serve-api").resolve("model"), 3);
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("serve.max-body-bytes", "4000",
        "serve.max-events-per-request", "5"));
    server = ServeServer.start(ServeSettings.from(config, "127.0.0.1", 0), ModelDirectorySource.of(model, NAME));
    client = new ServeClient(server.url());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String event(String id, String card, Instant time, double amount, String product) {
    return String.format(Locale.ROOT, "{\"TransactionID\":\"%s\",\"event_timestamp\":\"%s\",\"card_id\":\"%s\","
        + "\"TransactionAmt\":%s,\"ProductCD\":\"%s\",\"card_country\":\"US\",\"merchant_country\":\"US\"}",
        id, time, card, amount, product);
  }

  private static String vector(String... values) {
    return "{\"features\": [[" + String.join(",", values) + "]]}";
  }

  @Test
  void badInputIsA4xxNamingTheProblemAndChangesNothing() {
    Instant now = Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    String good = event("bad-ok", "card-bad", now, 10.0, "W");
    String[][] cases = {
        {"/transactions", "{\"TransactionID\": ", "400", "malformed JSON"},
        {"/transactions", "", "400", "body is empty"},
        {"/transactions", good.replace("\"card_id\":\"card-bad\",", ""), "400", "missing required field card_id"},
        {"/transactions", good.replace("10.0", "\"10.0\""), "400", "TransactionAmt must be a number, got a string"},
        {"/transactions", good.replace("10.0", "-3"), "400", "TransactionAmt must be >= 0, got -3"},
        {"/transactions", good.replace("10.0", "NaN"), "400", "TransactionAmt must be finite, got NaN"},
        {"/transactions", good.replace(now.toString(), "yesterday"), "400", "event_timestamp 'yesterday' is not an ISO-8601"},
        {"/transactions", good.replace(now.toString(), Instant.now().plusSeconds(3 * 86_400).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()), "400",
            "more than one day after"},
        {"/transactions", good.replace("\"W\"", "7"), "400", "ProductCD must be a string, got a number"},
        {"/transactions", "[" + good + ",{\"TransactionID\":\"x\"}]", "400", "event [1]: missing required field"},
        {"/transactions", "[]", "400", "no events"},
        {"/transactions", "[" + String.join(",", java.util.Collections.nCopies(6, good)) + "]", "413", "at most 5"},
        {"/transactions", "[" + good + ",\"" + "x".repeat(4000) + "\"]", "413", "serve.max-body-bytes"},
        {"/transactions", "42", "400", "is not a JSON object but a number"},
        {"/predict", vector("1", "2", "3", "4", "5", "6", "7"), "400", "has 7 values; expected 8: [TransactionAmt, "},
        {"/predict", vector("1", "2", "3", "NaN", "5", "6", "7", "8"), "400", "features[0][3] (is_international_txn) is NaN"},
        {"/predict", vector("1", "2", "3", "4", "Infinity", "6", "7", "8"), "400", "is Infinity; features must be finite"},
        {"/predict", vector("1", "2", "1e400", "4", "5", "6", "7", "8"), "400", "features must be finite"},
        {"/predict", vector("1", "\"2\"", "3", "4", "5", "6", "7", "8"), "400", "(log_transaction_amount) must be a number"},
        {"/predict", "{\"rows\": []}", "400", "expected {\"features\""},
        {"/predict", "{\"features\": [1, 2]}", "400", "features[0] must be an array of 8 numbers"},
        {"/prediction", "{\"feature_vector\": [1, 2]}", "400", "feature_vector has 2 values; expected 8"},
        {"/prediction", "{\"feature_vector\": [1,2,3,4,5,6,7,8], \"score\": \"yes\"}", "400", "score must be true or false"},
        {"/nowhere", "{}", "404", "no endpoint /nowhere"},
    };
    long eventsBefore = server.windows().size().events();
    for (String[] c : cases) {
      ServeClient.Reply reply = client.post(c[0], c[1]);
      String what = c[0] + " " + (c[1].length() > 80 ? c[1].substring(0, 80) + "..." : c[1]);
      assertEquals(Integer.parseInt(c[2]), reply.status(), what + " -> " + reply.body());
      JsonNode error = reply.json();
      assertTrue(error.get("error").asText().contains(c[3]), what + ": '" + error.get("error").asText() + "' should say '" + c[3] + "'");
      assertEquals(reply.status(), error.get("status").asInt());
      assertEquals(reply.headers().firstValue("X-Request-Id").orElseThrow(), error.get("request_id").asText());
    }
    assertEquals(eventsBefore, server.windows().size().events(), "a refused request admits nothing");
    ServeClient.Reply wrongMethod = client.get("/transactions");
    assertEquals(405, wrongMethod.status());
    assertEquals("POST", wrongMethod.headers().firstValue("Allow").orElseThrow());

    ServeClient.Reply after = client.post("/transactions", good);
    assertEquals(200, after.status(), "the service stays up and answers: " + after.body());
    assertEquals(1, after.json().get("txn_count_5min").asLong(), "none of the refused copies was counted");
  }

  @Test
  void aResentTransactionGetsItsFirstAnswerAndIsCountedOnce() {
    Instant t0 = Instant.now().minusSeconds(600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    JsonNode first = client.post("/transactions", event("dup-1", "card-dup", t0, 40.0, "W")).json();
    JsonNode again = client.post("/transactions", event("dup-1", "card-dup", t0, 40.0, "W")).json();
    assertFalse(first.get("duplicate").asBoolean());
    assertTrue(again.get("duplicate").asBoolean());
    assertEquals(first.get("fraud_score"), again.get("fraud_score"));
    assertEquals(first.get("txn_count_5min"), again.get("txn_count_5min"));
    // A re-send with other content is still the first transaction: silver keeps the first copy too.
    JsonNode altered = client.post("/transactions", event("dup-1", "card-dup", t0, 9_999.0, "C")).json();
    assertEquals(40.0, altered.get("TransactionAmt").asDouble());

    JsonNode next = client.post("/transactions", event("dup-2", "card-dup", t0.plusSeconds(60), 60.0, "H")).json();
    assertEquals(2, next.get("txn_count_5min").asLong(), "dup-1 once, and dup-2");
    assertEquals(50.0, next.get("avg_amount_5min").asDouble());
    assertEquals(Math.sqrt(200.0), next.get("stddev_amount_5min").asDouble(), 1e-12);
    assertEquals(2, next.get("product_diversity_5min").asLong());
  }

  @Test
  void oldEventsAreEvictedAndTheStateSizeIsReported() {
    Instant t0 = Instant.now().minusSeconds(7_200).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(event("old-" + i, "card-old-" + i, t0.plusSeconds(i), 5.0 + i, "W"));
    }
    assertEquals(200, client.post("/transactions", "[" + String.join(",", events) + "]").status());
    long cardsBefore = server.windows().size().cards();
    // An hour later in event time: no on-time window can reach the old events any more.
    JsonNode late = client.post("/transactions", event("new-1", "card-new", t0.plusSeconds(3_600), 5.0, "W")).json();
    assertFalse(late.get("arrived_late").asBoolean());
    server.windows().evictExpired();
    JsonNode health = client.get("/health").json();
    long cards = health.get("state").get("cards").asLong();
    assertTrue(cards < cardsBefore, "old cards forgotten: " + cards + " < " + cardsBefore);
    assertEquals(server.windows().size().events(), health.get("state").get("events").asLong());
    JsonNode behind = client.post("/transactions", event("old-resent-late", "card-old-0", t0, 5.0, "W")).json();
    assertTrue(behind.get("arrived_late").asBoolean(), "behind the watermark");
    assertEquals("ok", health.get("status").asText());
    assertTrue(health.get("watermark").asText().startsWith(t0.plusSeconds(3_598).toString().substring(0, 13)));
  }

  @Test
  void predictAndPredictionScoreAsSparkDoes() {
    double[] row = {250.0, Math.log1p(250.0), 0, 1, 3, 120.5, 80.25, 2};
    StringBuilder values = new StringBuilder();
    for (double v : row) {
      values.append(values.length() == 0 ? "" : ",").append(v);
    }
    JsonNode predicted = client.post("/predict", "{\"features\": [[" + values + "], [" + values + "]]}").json();
    double score = predicted.get("anomaly_scores").get(0).asDouble();
    assertEquals(score, predicted.get("anomaly_scores").get(1).asDouble());
    assertEquals(server.model().version(), predicted.get("model_version").asText());
    assertTrue(predicted.get("inference_time_ms").asDouble() >= 0);

    // Spark ML's own transform of the same row is the reference.
    Object[] cells = new Object[8];
    for (int i = 0; i < 8; i++) {
      cells[i] = switch (ModelFeatures.SCHEMA.fields()[i].dataType().typeName()) {
        case "integer" -> (int) row[i];
        case "long" -> (long) row[i];
        default -> row[i];
      };
    }
    Dataset<Row> input = SharedSpark.session().createDataFrame(List.of(RowFactory.create(cells)), ModelFeatures.SCHEMA);
    Row spark = server.model().model().transformer().transform(input).select("fraud_score", "is_anomaly").first();
    assertEquals(spark.getDouble(0), score, 1e-12);
    assertEquals(spark.getBoolean(1) ? 1 : 0, predicted.get("predictions").get(0).asInt());

    JsonNode prediction = client.post("/prediction", "{\"feature_vector\": [" + values + "], \"score\": true}").json();
    assertEquals(spark.getBoolean(1) ? -1 : 1, prediction.get("is_inlier").asInt());
    assertEquals(score, prediction.get("anomaly_score").asDouble());
    JsonNode withoutScore = client.post("/prediction", "{\"feature_vector\": [" + values + "]}").json();
    assertFalse(withoutScore.has("anomaly_score"));
    assertTrue(Vectors.dense(row).size() == 8);
  }

  @Test
  void docsHealthReadyAndRequestIds() throws Exception {
    JsonNode openapi = client.get("/openapi.json").json();
    for (String path : List.of("/transactions", "/predict", "/prediction", "/model_information", "/health", "/ready", "/metrics")) {
      assertTrue(openapi.get("paths").has(path), "documented: " + path);
    }
    ServeClient.Reply docs = client.get("/docs");
    assertEquals(200, docs.status());
    assertTrue(docs.body().contains("/docs/swagger-ui-bundle.js"));
    ServeClient.Reply bundle = client.get("/docs/swagger-ui-bundle.js");
    assertEquals(200, bundle.status());
    assertTrue(bundle.body().length() > 100_000, "Swagger UI served from the jar");
    assertEquals(200, client.get("/ready").status());
    assertEquals(NAME, client.get("/ready").json().get("model_name").asText());

    ServeClient.Reply tagged = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/health"))
        .header("X-Request-Id", "auth-42").GET());
    assertEquals("auth-42", tagged.headers().firstValue("X-Request-Id").orElseThrow());
    String a = client.get("/health").headers().firstValue("X-Request-Id").orElseThrow();
    String b = client.get("/health").headers().firstValue("X-Request-Id").orElseThrow();
    assertNotEquals(a, b, "a new id per request");
  }

  @Test
  void metricsCountRequestsOutcomesAndTheServedVersion() {
    String before = client.get("/metrics").body();
    double requests = sample(before, "fraudlake_serve_requests_total{endpoint=\"predict\",status=\"200\"}");
    double normal = sample(before, "fraudlake_serve_predictions_total{endpoint=\"predict\",outcome=\"normal\"}")
        + sample(before, "fraudlake_serve_predictions_total{endpoint=\"predict\",outcome=\"anomaly\"}");
    for (int i = 0; i < 3; i++) {
      assertEquals(200, client.post("/predict", vector("10", "2.4", "0", "0", "1", "10", "0", "1")).status());
    }
    client.post("/predict", "{");
    ServeClient.Reply metrics = client.get("/metrics");
    assertTrue(metrics.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
    String text = metrics.body();
    assertEquals(requests + 3, sample(text, "fraudlake_serve_requests_total{endpoint=\"predict\",status=\"200\"}"));
    assertTrue(sample(text, "fraudlake_serve_requests_total{endpoint=\"predict\",status=\"400\"}") >= 1);
    assertEquals(normal + 3, sample(text, "fraudlake_serve_predictions_total{endpoint=\"predict\",outcome=\"normal\"}")
        + sample(text, "fraudlake_serve_predictions_total{endpoint=\"predict\",outcome=\"anomaly\"}"));
    assertEquals(1.0, sample(text, "fraudlake_serve_model_info{model_name=\"" + NAME + "\",model_version=\""
        + server.model().version() + "\"}"));
    assertTrue(text.contains("fraudlake_serve_request_duration_seconds_bucket{endpoint=\"predict\",status=\"200\",le=\"0.001\"}"));
    assertTrue(text.contains("fraudlake_serve_fraud_score_bucket{le=\"0.5\"}"));
    assertTrue(text.contains("fraudlake_serve_state_events "));
    assertTrue(text.contains("jvm_memory_used_bytes"), "JVM metrics");
  }

  /** One sample's value in Prometheus' text format; 0 when the series is not there yet. */
  static double sample(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
      }
    }
    return 0;
  }

  @Test
  void modelInformationAndHotReloadFromTheRegistry() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("serve.model-check-interval", "200ms"));
    ModelRegistry registry = ModelRegistries.fromEnvironment(config, Map.of());
    Path work = SharedSpark.tempDir("serve-registry");
    long v1 = register(registry, work, 1, 0.91);
    long v2 = register(registry, work, 2, 0.93);
    registry.setAlias(NAME, "prod", v1);
    RegistryModelSource source = new RegistryModelSource(ModelSources.store(config, registry),
        ModelUri.parse("models:/" + NAME + "@prod"));
    try (ServeServer registryServer = ServeServer.start(ServeSettings.from(config, "127.0.0.1", 0), source)) {
      ServeClient registryClient = new ServeClient(registryServer.url());
      JsonNode info = registryClient.get("/model_information").json();
      assertEquals(NAME, info.get("name").asText());
      assertEquals(Long.toString(v1), info.get("version").asText());
      assertEquals("prod", info.get("aliases").get(0).asText());
      assertEquals(registry.getModelVersion(NAME, v1).runId(), info.get("run_id").asText());
      assertEquals(0.91, info.get("metrics").get("roc_auc").asDouble());
      assertEquals("200", info.get("parameters").get("trees").asText());
      assertEquals("2026-11-01T00:00:00Z", info.get("training_window").get("start").asText());
      assertEquals(registryServer.model().scorer().threshold(), info.get("threshold").asDouble());
      assertEquals(8, info.get("signature").get("inputs").size());
      assertEquals("long", info.get("signature").get("inputs").get(4).get("type").asText());
      assertTrue(Instant.parse(info.get("loaded_at").asText()).isBefore(Instant.now().plusSeconds(1)));

      String body = vector("10", "2.4", "0", "0", "1", "10", "0", "1");
      assertEquals(Long.toString(v1), registryClient.post("/predict", body).json().get("model_version").asText());
      registry.setAlias(NAME, "prod", v2);
      String served = Long.toString(v1);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (!served.equals(Long.toString(v2)) && System.nanoTime() < deadline) {
        served = registryClient.post("/predict", body).json().get("model_version").asText();
        Thread.sleep(50);
      }
      assertEquals(Long.toString(v2), served, "the new version answers after the check interval");
      assertEquals(Long.toString(v2), registryClient.get("/model_information").json().get("version").asText());
      String metrics = registryClient.get("/metrics").body();
      assertEquals(1.0, sample(metrics, "fraudlake_serve_model_info{model_name=\"" + NAME + "\",model_version=\"" + v2 + "\"}"));
      assertFalse(metrics.contains("model_version=\"" + v1 + "\""), "the old version's series is gone");
      assertEquals(1.0, sample(metrics, "fraudlake_serve_model_reloads_total"));
    }
  }

  /** Logs a saved model with parameters and metrics, as training does, and registers it. */
  private static long register(ModelRegistry registry, Path work, long seed, double rocAuc) {
    Path dir = ScoringFixtures.saveMlflowModel(SharedSpark.session(), work.resolve("model-" + seed), seed);
    String experiment = registry.getOrCreateExperiment("fraud-detection");
    String run = registry.startRun(experiment, "seed-" + seed, Map.of());
    registry.logParams(run, Map.of("trees", "200", "train_start", "2026-11-01T00:00:00Z", "train_end", "2026-11-20T00:00:00Z"));
    registry.logMetrics(run, Map.of("roc_auc", rocAuc), 0);
    registry.logArtifacts(run, dir, "model");
    registry.endRun(run, RunStatus.FINISHED);
    if (registry.listRegisteredModels().stream().noneMatch(m -> m.name().equals(NAME))) {
      registry.createRegisteredModel(NAME);
    }
    return registry.createModelVersion(NAME, run, "model").version();
  }
}
