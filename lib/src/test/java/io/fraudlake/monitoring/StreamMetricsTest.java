package io.fraudlake.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.scoring.BatchDrift;
import io.fraudlake.scoring.BatchMetrics;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus endpoint as a scraper sees it: batches handed to the status, then GET /metrics on loopback. */
class StreamMetricsTest {
  private static final long NOW = 1_800_000_000_000L;

  /** A batch of {@code rows} rows, {@code anomalies} flagged, whose newest event is {@code lagMillis} old when scored. */
  private static BatchMetrics batch(long id, long rows, long anomalies, double seconds, String version, Long lagMillis) {
    Timestamp scoredAt = new Timestamp(NOW + id * 1_000);
    Timestamp newest = lagMillis == null ? null : new Timestamp(scoredAt.getTime() - lagMillis);
    return new BatchMetrics("q-1", id, rows, anomalies, 0.5, "fraud_isolation_forest", version, seconds,
        newest == null ? null : new Timestamp(newest.getTime() - 60_000), newest, scoredAt);
  }

  private static BatchDrift psi(Map<String, Double> byFeature) {
    return new BatchDrift(byFeature, List.of());
  }

  @Test
  void servesWhatTheBatchesReportedWithTheQueryLabel() throws Exception {
    try (StreamMetrics metrics = StreamMetrics.serve("score", "127.0.0.1", 0)) {
      assertTrue(metrics.port() > 0, "an ephemeral port was chosen");
      assertEquals("http://127.0.0.1:" + metrics.port() + "/metrics", metrics.url());
      ScoringStatus status = ScoringStatus.silent().addListener(metrics);

      Map<String, Double> before = Scrape.of(metrics.url()).values();
      assertEquals(0.0, before.get("fraudlake_stream_rows_total{query=\"score\"}"), "counters start at 0");
      assertFalse(before.containsKey("fraudlake_stream_lag_seconds{query=\"score\"}"), "no lag before a batch");

      Map<String, Double> firstPsi = new LinkedHashMap<>();
      firstPsi.put("TransactionAmt", 0.31);
      firstPsi.put("txn_count_5min", 0.02);
      status.batchDone(batch(0, 400, 10, 1.5, "3", 12_500L), psi(firstPsi));
      // The alias moved to version 4; the batch had too few rows for drift to be measured.
      status.batchDone(batch(1, 100, 20, 0.2, "4", 3_000L), BatchDrift.NOT_MEASURED);
      // Every row already in gold: no event time, so no new lag.
      status.batchDone(batch(2, 0, 0, 0.05, "4", null), BatchDrift.NOT_MEASURED);

      Scrape scrape = Scrape.of(metrics.url());
      Map<String, Double> v = scrape.values();
      assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
      assertEquals(400.0 + 100 + 0, v.get("fraudlake_stream_rows_total{query=\"score\"}"));
      assertEquals(10.0 + 20, v.get("fraudlake_stream_alerts_total{query=\"score\"}"));
      assertEquals(3.0, v.get("fraudlake_stream_batches_total{query=\"score\"}"));
      assertEquals(0.0, v.get("fraudlake_stream_batch_rows{query=\"score\"}"));
      assertEquals(0.0, v.get("fraudlake_stream_alert_rate{query=\"score\"}"), "the last batch had no rows");
      assertEquals(3.0, v.get("fraudlake_stream_lag_seconds{query=\"score\"}"), 1e-9, "lag of the last batch with events");
      assertEquals(3.0, v.get("fraudlake_stream_batch_duration_seconds_count{query=\"score\"}"));
      assertEquals(1.5 + 0.2 + 0.05, v.get("fraudlake_stream_batch_duration_seconds_sum{query=\"score\"}"), 1e-9);
      assertEquals(1.0, v.get("fraudlake_stream_batch_duration_seconds_bucket{query=\"score\",le=\"0.1\"}"), scrape.text());
      assertEquals(2.0, v.get("fraudlake_stream_batch_duration_seconds_bucket{query=\"score\",le=\"0.25\"}"));
      assertEquals(2.0, v.get("fraudlake_stream_batch_duration_seconds_bucket{query=\"score\",le=\"1.0\"}"));
      assertEquals(3.0, v.get("fraudlake_stream_batch_duration_seconds_bucket{query=\"score\",le=\"2.5\"}"));
      assertEquals(3.0, v.get("fraudlake_stream_batch_duration_seconds_bucket{query=\"score\",le=\"+Inf\"}"));
      assertEquals(1.0, v.get("fraudlake_stream_model_info{model_name=\"fraud_isolation_forest\",model_version=\"4\",query=\"score\"}"));
      assertEquals(1, scrape.series("fraudlake_stream_model_info").size(), "version 3's series is gone: " + scrape.text());
      assertEquals(0.31, v.get("fraudlake_stream_feature_psi{feature=\"TransactionAmt\",query=\"score\"}"), 1e-12,
          "the last measured batch's PSI outlives batches that were not measured");
      assertEquals(0.02, v.get("fraudlake_stream_feature_psi{feature=\"txn_count_5min\",query=\"score\"}"), 1e-12);
      assertTrue(v.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")), "JVM metrics: " + v.keySet());

      // Version 4's reference judges the amount only (the count had too few values this time).
      status.batchDone(batch(3, 600, 6, 0.8, "4", 250L), psi(Map.of("TransactionAmt", 0.04)));
      Scrape last = Scrape.of(metrics.url());
      assertEquals(List.of("fraudlake_stream_feature_psi{feature=\"TransactionAmt\",query=\"score\"}"),
          last.series("fraudlake_stream_feature_psi"));
      assertEquals(0.04, last.values().get("fraudlake_stream_feature_psi{feature=\"TransactionAmt\",query=\"score\"}"), 1e-12);
      assertEquals(6.0 / 600, last.values().get("fraudlake_stream_alert_rate{query=\"score\"}"), 1e-12);
      assertEquals(0.25, last.values().get("fraudlake_stream_lag_seconds{query=\"score\"}"), 1e-9);
      assertEquals(1100.0, last.values().get("fraudlake_stream_rows_total{query=\"score\"}"));
    }
  }

  @Test
  void twoEndpointsInOneJvmKeepTheirOwnSeries() throws Exception {
    try (StreamMetrics score = StreamMetrics.serve("score", "127.0.0.1", 0);
         StreamMetrics run = StreamMetrics.serve("run", "127.0.0.1", 0)) {
      run.batchDone(batch(0, 40, 1, 0.3, "2", 100L), BatchDrift.NOT_MEASURED);

      Map<String, Double> fromRun = Scrape.of(run.url()).values();
      Map<String, Double> fromScore = Scrape.of(score.url()).values();
      assertEquals(40.0, fromRun.get("fraudlake_stream_rows_total{query=\"run\"}"));
      assertEquals(0.0, fromScore.get("fraudlake_stream_rows_total{query=\"score\"}"));
      assertFalse(fromScore.keySet().stream().anyMatch(k -> k.contains("query=\"run\"")), fromScore.keySet().toString());
    }
  }

  @Test
  void aPortInUseIsAOneLineErrorNamingIt() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      FraudLakeException e = assertThrows(FraudLakeException.class, () -> StreamMetrics.serve("score", "127.0.0.1", port));
      assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void theConfigTurnsItOnAndChecksThePort() {
    assertTrue(StreamMetrics.fromConfig(SharedSpark.freshConfig(), "score").isEmpty(), "off by default");
    FraudLakeException e = assertThrows(FraudLakeException.class,
        () -> StreamMetrics.fromConfig(SharedSpark.freshConfig(Map.of("monitoring.metrics-port", "70000")), "score"));
    assertTrue(e.getMessage().contains("monitoring.metrics-port") && e.getMessage().contains("70000"), e.getMessage());
    try (StreamMetrics metrics = StreamMetrics.fromConfig(SharedSpark.freshConfig(Map.of(
        "monitoring.metrics-port", String.valueOf(freePort()))), "score").orElseThrow()) {
      assertTrue(metrics.url().startsWith("http://127.0.0.1:"), "loopback by default: " + metrics.url());
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One GET of a Prometheus text page, its samples keyed by name and labels as written. */
  record Scrape(String text, String contentType) {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static Scrape of(String url) throws IOException, InterruptedException {
      HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      return new Scrape(response.body(), response.headers().firstValue("Content-Type").orElse(""));
    }

    Map<String, Double> values() {
      Map<String, Double> values = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          int space = line.lastIndexOf(' ');
          values.put(line.substring(0, space), number(line.substring(space + 1)));
        }
      }
      return values;
    }

    private static double number(String text) {
      return switch (text) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(text);
      };
    }

    /** The samples of the metric {@code name}, without those of other metrics sharing its prefix. */
    List<String> series(String name) {
      return values().keySet().stream().filter(k -> k.startsWith(name + "{") || k.equals(name)).toList();
    }
  }
}
