package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;

/** {@code score --metrics-port} as a user runs it (in-process), scraped over HTTP while the stream runs. */
class ScoreMetricsCliTest {
  private static final int FILES = 3;
  private static final int ROWS_PER_FILE = 25;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aRunningScoreStreamServesWhatItWroteToGold() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilverCommits(lakehouse, "pm", FILES, ROWS_PER_FILE, ScoringFixtures.start());
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("5"), 5L);
    int port = freePort();
    String url = "http://127.0.0.1:" + port + "/metrics";

    // The stream runs until stopped, as it does for users; the test stops it once gold is complete.
    CompletableFuture<CliRun.Outcome> score = CompletableFuture.supplyAsync(() -> CliRun.run(config.home(), "score",
        "--metrics-port", String.valueOf(port), "--model-path", model.toString(),
        "--set", "scoring.max-files-per-trigger=1", "--set", "scoring.trigger=200 milliseconds"));
    String page;
    try {
      page = awaitSample(url, "fraudlake_stream_batches_total{query=\"score\"} " + FILES + ".0", Duration.ofMinutes(3));
    } finally {
      stopScoreStream(SharedSpark.session());
    }
    CliRun.Outcome outcome = score.get(2, TimeUnit.MINUTES);

    assertEquals(0, outcome.exit(), outcome.err());
    assertTrue(outcome.out().contains("score: metrics on " + url + "\n"), outcome.out());
    long goldRows = lakehouse.read(Tables.GOLD).count();
    long goldAlerts = lakehouse.read(Tables.GOLD).where("is_anomaly").count();
    assertEquals(FILES * ROWS_PER_FILE, goldRows);
    assertTrue(page.contains("\nfraudlake_stream_rows_total{query=\"score\"} " + goldRows + ".0\n"), page);
    assertTrue(page.contains("\nfraudlake_stream_alerts_total{query=\"score\"} " + goldAlerts + ".0\n"), page);
    Row version = lakehouse.read(Tables.GOLD).select("model_name", "model_version").distinct().first();
    assertTrue(page.contains("\nfraudlake_stream_model_info{model_name=\"" + version.getString(0) + "\",model_version=\""
        + version.getString(1) + "\",query=\"score\"} 1.0\n"), page);
    assertTrue(page.contains("\nfraudlake_stream_batch_duration_seconds_count{query=\"score\"} " + FILES + "\n"), page);
    assertTrue(page.contains("\njvm_threads_"), "JVM metrics are served too");
  }

  @Test
  void aPortInUseIsAOneLineErrorAndBatchModeHasNoEndpoint() throws IOException {
    Path home = SharedSpark.tempDir("cli-home");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliRun.Outcome busy = CliRun.run(home, "score", "--metrics-port", String.valueOf(port));
      assertOneLineError(busy, "cannot serve metrics on 127.0.0.1:" + port + ": ");
      assertTrue(busy.err().contains("port " + port + "?"), busy.err());
    }
    assertOneLineError(CliRun.run(home, "score", "--batch", "--input", "x", "--metrics-port", "9464"),
        "--batch cannot be combined with");
    assertOneLineError(CliRun.run(home, "score", "--metrics-port", "70000"), "monitoring.metrics-port (--metrics-port) must be");
  }

  private static void assertOneLineError(CliRun.Outcome outcome, String start) {
    assertEquals(1, outcome.exit(), outcome.err());
    List<String> lines = outcome.err().lines().filter(l -> l.startsWith("fraudlake")).toList();
    assertEquals(1, lines.size(), outcome.err());
    assertTrue(lines.get(0).startsWith("fraudlake score: error: " + start), lines.get(0));
  }

  /** Scrapes {@code url} until the page holds the sample line {@code sample}; returns that page. */
  private static String awaitSample(String url, String sample, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "(no page)";
    while (System.nanoTime() < deadline) {
      Optional<String> page = scrape(url);
      if (page.isPresent()) {
        last = page.get();
        if (last.contains("\n" + sample + "\n")) {
          return last;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no '" + sample + "' at " + url + " within " + limit + "; last page:\n" + last);
  }

  /** The page, or empty while the endpoint is not up yet. */
  private static Optional<String> scrape(String url) throws InterruptedException {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void stopScoreStream(SparkSession spark) throws Exception {
    for (StreamingQuery query : spark.streams().active()) {
      if (ScoringStream.QUERY_NAME.equals(query.name())) {
        query.stop();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
