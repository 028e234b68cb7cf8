package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.serve.ServeServer;
import io.fraudlake.serve.ServeSettings;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * conf/monitoring as an operator uses it: a real Prometheus, started with the shipped scrape
 * configuration pointed at this test's ports, scrapes a running {@code serve} and a running
 * {@code score --metrics-port} stream, and every query of the Grafana dashboard returns data from
 * it. A renamed metric, a label the dashboard groups by that no series has, or a PromQL typo fails
 * here rather than as an empty panel in production.
 */
class MonitoringStackTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Set<String> JOBS = Set.of("fraudlake-serve", "fraudlake-score", "fraudlake-run");
  private static final String DATASOURCE_UID = "fraudlake-prometheus";
  private static final int SILVER_COMMITS = 3;
  private static final int ROWS_PER_COMMIT = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  /** Grafana's own interval variables, given the value Grafana would pick for a 1 s scrape and a short range. */
  private static final Pattern GRAFANA_INTERVAL = Pattern.compile("\\$__(rate_interval|interval|range)\\b");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)}?|\\[\\[(\\w+)]]");

  private static Path monitoringDir() {
    return SharedSpark.projectDir().resolve("conf/monitoring");
  }

  @Test
  void theDashboardParsesEveryPanelHasAQueryAndTheProvisioningFilesFindIt() throws IOException {
    JsonNode dashboard = JSON.readTree(monitoringDir().resolve("grafana/dashboards/fraudlake.json").toFile());
    assertTrue(dashboard.path("schemaVersion").asInt() >= 36, "a dashboard of current Grafana: " + dashboard.path("schemaVersion"));
    JsonNode panels = dashboard.path("panels");
    assertTrue(panels.size() >= 12, "panels: " + panels.size());
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels) {
      String title = panel.path("title").asText();
      assertTrue(ids.add(panel.path("id").asInt()), "panel ids are unique: " + title);
      assertTrue(panel.path("targets").size() > 0, "panel '" + title + "' has no query");
      for (JsonNode target : panel.path("targets")) {
        assertFalse(target.path("expr").asText().isBlank(), "an empty query in '" + title + "'");
        assertEquals("${datasource}", target.path("datasource").path("uid").asText(), "'" + title + "' uses the variable");
      }
    }
    JsonNode variable = dashboard.path("templating").path("list").get(0);
    assertEquals("datasource", variable.path("type").asText());
    assertEquals(DATASOURCE_UID, variable.path("current").path("value").asText(),
        "the variable defaults to the provisioned datasource");

    Yaml yaml = new Yaml();
    Map<String, Object> datasources = yaml.load(Files.readString(
        monitoringDir().resolve("grafana/provisioning/datasources/prometheus.yml")));
    Map<?, ?> datasource = (Map<?, ?>) ((List<?>) datasources.get("datasources")).get(0);
    assertEquals(DATASOURCE_UID, datasource.get("uid"));
    assertEquals("prometheus", datasource.get("type"));
    Map<String, Object> providers = yaml.load(Files.readString(
        monitoringDir().resolve("grafana/provisioning/dashboards/fraudlake.yml")));
    Map<?, ?> provider = (Map<?, ?>) ((List<?>) providers.get("providers")).get(0);
    assertEquals("file", provider.get("type"));
    assertTrue(String.valueOf(((Map<?, ?>) provider.get("options")).get("path")).startsWith("/"),
        "an absolute path, where the dashboards folder is mounted: " + provider);
  }

  @Test
  void prometheusScrapesServeAndAScoreStreamAndEveryDashboardQueryHasData(@TempDir Path temp) throws Exception {
    requirePrometheus();
    if (Files.isExecutable(PROMTOOL)) {
      Outcome check = exec(List.of(PROMTOOL.toString(), "check", "config", monitoringDir().resolve("prometheus.yml").toString()));
      assertEquals(0, check.exit(), "promtool rejects the shipped prometheus.yml:\n" + check.output());
    }
    Map<String, String> queries = dashboardQueries();

    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilverCommits(lakehouse, "mon", SILVER_COMMITS, ROWS_PER_COMMIT, ScoringFixtures.start());
    // An MLflow model with its training reference, so the stream measures PSI as a trained model's does.
    Path model = ScoringFixtures.saveMlflowModel(SharedSpark.session(), temp.resolve("models").resolve("5"), 5L);
    int streamPort = freePort();
    int prometheusPort = freePort();
    String prometheusUrl = "http://127.0.0.1:" + prometheusPort;

    Process prometheus = null;
    CompletableFuture<CliRun.Outcome> score = null;
    Path prometheusLog = temp.resolve("prometheus.log");
    try (ServeServer serve = ServeServer.start(ServeSettings.from(config, "127.0.0.1", 0),
        ModelDirectorySource.of(model, "fraud_isolation_forest"))) {
      Path prometheusConfig = temp.resolve("prometheus.yml");
      Files.writeString(prometheusConfig, testConfig(serve.port(), streamPort));
      prometheus = new ProcessBuilder(PROMETHEUS.toString(),
          "--config.file=" + prometheusConfig,
          "--storage.tsdb.path=" + temp.resolve("tsdb"),
          "--web.listen-address=127.0.0.1:" + prometheusPort)
          .redirectErrorStream(true).redirectOutput(prometheusLog.toFile()).start();

      score = CompletableFuture.supplyAsync(() -> CliRun.run(config.home(), "score",
          "--metrics-port", String.valueOf(streamPort), "--model-path", model.toString(),
          "--set", "scoring.max-files-per-trigger=1", "--set", "scoring.trigger=1 second",
          "--set", "monitoring.min-drift-rows=" + ROWS_PER_COMMIT / 2));

      awaitQuery(prometheusUrl, "up{job=\"fraudlake-serve\"} == 1", Duration.ofSeconds(30), prometheusLog);
      // Several rounds a scrape apart, so counters rise between samples and rates are not all 0.
      for (int round = 0; round < 4; round++) {
        sendTraffic(serve.url(), round);
        Thread.sleep(1_200);
      }
      awaitQuery(prometheusUrl, "fraudlake_stream_batches_total{query=\"score\"} >= " + SILVER_COMMITS,
          Duration.ofSeconds(120), prometheusLog);
      // Two more scrapes of the finished stream, so its last values have a sample after them.
      Thread.sleep(2_500);

      Map<String, String> empty = new LinkedHashMap<>(queries);
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (true) {
        for (Map.Entry<String, String> query : new ArrayList<>(empty.entrySet())) {
          JsonNode answer = query(prometheusUrl, query.getValue());
          assertEquals("success", answer.path("status").asText(), query.getKey() + ": " + query.getValue() + "\n" + answer);
          if (answer.path("data").path("result").size() > 0) {
            empty.remove(query.getKey());
          }
        }
        if (empty.isEmpty() || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(1_000);
      }
      assertTrue(empty.isEmpty(), empty.size() + " of " + queries.size() + " dashboard queries have no data:\n"
          + String.join("\n", empty.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList())
          + "\ntargets: " + get(prometheusUrl + "/api/v1/targets").body());
      System.out.println("MonitoringStackTest: " + queries.size() + " dashboard queries answered with data");
    } finally {
      try {
        stopScoreCommand(score);
      } finally {
        if (prometheus != null) {
          prometheus.destroy();
          if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
            prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
    }
    CliRun.Outcome outcome = score.get();
    assertEquals(0, outcome.exit(), outcome.err());
  }

  /**
   * Stops the score command's stream and waits for the command to return. The stream may not have
   * started yet when the test fails early, so stopping is retried until the command is done: a
   * stream left running would hold its lease and keep scoring beside the next test class.
   */
  private static void stopScoreCommand(CompletableFuture<CliRun.Outcome> score) throws Exception {
    if (score == null) {
      return;
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!score.isDone()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the score command did not stop within 2 minutes");
      }
      stopScoreStream();
      try {
        score.get(1, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        // Not started or not stopped yet: stop again.
      }
    }
  }

  /** Prometheus is a system package: CI must have it; a developer without it is told how to get it. */
  private static void requirePrometheus() {
    if (Files.isExecutable(PROMETHEUS)) {
      return;
    }
    String message = PROMETHEUS + " is missing: install Debian's package (apt-get install prometheus)";
    if ("true".equals(System.getenv("CI"))) {
      fail(message + "; .ci/run installs it before the tests");
    }
    assumeTrue(false, message + " to run this test");
  }

  /**
   * The shipped configuration with its serve and score targets moved to this test's ports and a
   * 1 s scrape. The run job is left out: no run pipeline runs here, and its series are the score
   * stream's with {@code query="run"}, which the dashboard selects the same way.
   */
  @SuppressWarnings("unchecked")
  private static String testConfig(int servePort, int scorePort) throws IOException {
    Yaml yaml = new Yaml();
    Map<String, Object> config = yaml.load(Files.readString(monitoringDir().resolve("prometheus.yml")));
    Map<String, Object> global = (Map<String, Object>) config.get("global");
    assertEquals("5s", global.get("scrape_interval"), "the shipped scrape interval");
    global.put("scrape_interval", "1s");
    global.put("scrape_timeout", "1s");
    global.put("evaluation_interval", "1s");
    List<Map<String, Object>> jobs = (List<Map<String, Object>>) config.get("scrape_configs");
    Set<String> names = new HashSet<>();
    List<Map<String, Object>> kept = new ArrayList<>();
    for (Map<String, Object> job : jobs) {
      String name = (String) job.get("job_name");
      names.add(name);
      int port = switch (name) {
        case "fraudlake-serve" -> servePort;
        case "fraudlake-score" -> scorePort;
        default -> -1;
      };
      if (port > 0) {
        job.put("static_configs", List.of(Map.of("targets", List.of("127.0.0.1:" + port))));
        kept.add(job);
      }
    }
    assertEquals(JOBS, names, "the shipped jobs");
    config.put("scrape_configs", kept);
    return yaml.dump(config);
  }

  /**
   * Every PromQL expression of the dashboard, keyed by panel title and refId, with Grafana's
   * variables replaced as Grafana would before sending it (a variable of the dashboard by a match-all regex).
   */
  private static Map<String, String> dashboardQueries() throws IOException {
    JsonNode dashboard = JSON.readTree(monitoringDir().resolve("grafana/dashboards/fraudlake.json").toFile());
    Set<String> variables = new HashSet<>();
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (!"datasource".equals(variable.path("type").asText())) {
        variables.add(variable.path("name").asText());
      }
    }
    Map<String, String> queries = new LinkedHashMap<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = GRAFANA_INTERVAL.matcher(target.path("expr").asText()).replaceAll("1m");
        Matcher matcher = VARIABLE.matcher(expr);
        StringBuilder substituted = new StringBuilder();
        while (matcher.find()) {
          String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
          assertTrue(variables.contains(name), "'" + panel.path("title").asText() + "' uses $" + name
              + ", which the dashboard does not define: " + expr);
          matcher.appendReplacement(substituted, ".*");
        }
        matcher.appendTail(substituted);
        queries.put(panel.path("title").asText() + " [" + target.path("refId").asText() + "]", substituted.toString());
      }
    }
    return queries;
  }

  /**
   * One round of what clients send: raw transactions (one card's burst, a re-sent event, one behind
   * the watermark), ready vectors of both outcomes, and requests the service refuses.
   */
  private static void sendTraffic(String serveUrl, int round) throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      double amount = i == 5 ? 9_500 + round : 20 + 7 * i + round;
      events.add(event("r" + round + "-" + i, now.minusMillis(500L * (6 - i)), "card-" + (i % 3), amount, i % 2 == 0 ? "W" : "H"));
    }
    events.add(events.get(2));
    assertStatus(200, post(serveUrl + "/transactions", "[" + String.join(",", events) + "]"));
    // A minute behind the newest event, far past the 2-second lateness: answered, counted late.
    assertStatus(200, post(serveUrl + "/transactions", event("late-" + round, now.minusSeconds(60), "card-9", 35, "W")));

    String usual = "[40.0, 3.71, 0, 0, 1, 40.0, 0.0, 1]";
    String extreme = "[48000.0, 10.78, 1, 1, 30, 25000.0, 18000.0, 5]";
    assertStatus(200, post(serveUrl + "/predict", "{\"features\": [" + usual + ", " + usual + ", " + extreme + "]}"));
    assertStatus(400, post(serveUrl + "/predict", "{\"features\": \"not rows\"}"));
    assertStatus(404, get(serveUrl + "/no-such-endpoint"));
  }

  private static String event(String id, Instant time, String card, double amount, String product) {
    return "{\"TransactionID\":\"" + id + "\",\"event_timestamp\":\"" + time + "\",\"card_id\":\"" + card
        + "\",\"TransactionAmt\":" + amount + ",\"ProductCD\":\"" + product + "\"}";
  }

  private static void assertStatus(int expected, HttpResponse<String> response) {
    assertEquals(expected, response.statusCode(), response.uri() + ": " + response.body());
  }

  /** Runs {@code promql} until its result is non-empty (Prometheus starting, targets not scraped yet). */
  private static void awaitQuery(String prometheusUrl, String promql, Duration limit, Path log) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "(Prometheus not answering)";
    while (System.nanoTime() < deadline) {
      try {
        JsonNode answer = query(prometheusUrl, promql);
        if (answer.path("data").path("result").size() > 0) {
          return;
        }
        last = answer.toString();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    String targets;
    try {
      targets = get(prometheusUrl + "/api/v1/targets").body();
    } catch (IOException e) {
      targets = e.toString();
    }
    throw new AssertionError("'" + promql + "' had no result within " + limit + "; last answer: " + last
        + "\ntargets: " + targets + "\nPrometheus log:\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
  }

  private static JsonNode query(String prometheusUrl, String promql) throws IOException, InterruptedException {
    HttpResponse<String> response = get(prometheusUrl + "/api/v1/query?query="
        + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    return JSON.readTree(response.body());
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private record Outcome(int exit, String output) {}

  private static Outcome exec(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(command + " did not finish within 30 s");
    }
    return new Outcome(process.exitValue(), output);
  }

  private static void stopScoreStream() {
    for (StreamingQuery query : SharedSpark.session().streams().active()) {
      if (ScoringStream.QUERY_NAME.equals(query.name())) {
        try {
          query.stop();
        } catch (Exception e) {
          throw new IllegalStateException("stopping the score stream", e);
        }
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
