package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.testing.SharedSpark;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code serve} as users start it: its own JVM, a port, SIGTERM to stop. */
class ServeProcessTest {
  private static final Pattern LISTENING = Pattern.compile("serve: listening on (http://127\\.0\\.0\\.1:\\d+) with (\\S+ v\\S+)");

  @Test
  void servesUntilSigtermThenStopsAfterRequestsUnderWay() throws Exception {
    Path home = SharedSpark.tempDir("serve-home");
    Path model = ScoringFixtures.saveMlflowModel(SharedSpark.session(), SharedSpark.tempDir("serve-model").resolve("model"), 4);
    Path log = home.resolve("serve.log");
    Process serve = ForkedCli.launch("serve", home, log, Map.of(),
        List.of("--port", "0", "--model-path", model.toString()));
    try {
      Matcher listening = awaitLine(log, serve);
      String url = listening.group(1);
      assertEquals("fraud_isolation_forest vmodel", listening.group(2), "a saved model: its version is its folder name");
      HttpClient client = HttpClient.newHttpClient();
      String event = "{\"TransactionID\":\"p-1\",\"event_timestamp\":\"" + Instant.now().truncatedTo(ChronoUnit.SECONDS)
          + "\",\"card_id\":\"c-1\",\"TransactionAmt\":12.5,\"ProductCD\":\"W\"}";
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create(url + "/transactions"))
          .POST(HttpRequest.BodyPublishers.ofString(event)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());
      assertTrue(answer.body().contains("\"txn_count_5min\":1"), answer.body());

      ForkedCli.stopWith("TERM", serve, log);
      String output = Files.readString(log);
      assertTrue(output.contains("serve: stopped"), output);
      assertFalse(output.contains("Exception"), "no stack trace on SIGTERM:\n" + output);
    } finally {
      serve.destroyForcibly();
    }
  }

  @Test
  void aPortInUseIsOneLine() throws Exception {
    Path home = SharedSpark.tempDir("serve-busy");
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("serve-busy-model").resolve("m"), 4);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliRun.Outcome result = CliRun.run(home, "serve", "--port", String.valueOf(taken.getLocalPort()),
          "--model-path", model.toString());
      assertEquals(1, result.exit(), result.err());
      List<String> errors = result.err().lines().filter(line -> !line.isBlank()).toList();
      assertEquals(1, errors.size(), result.err());
      assertTrue(errors.get(0).startsWith("fraudlake serve: error: cannot listen on 127.0.0.1:" + taken.getLocalPort()), result.err());
    }
  }

  private static Matcher awaitLine(Path log, Process process) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        Matcher m = LISTENING.matcher(Files.readString(log));
        if (m.find()) {
          return m;
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError("serve ended before listening:\n" + Files.readString(log));
      }
      Thread.sleep(200);
    }
    throw new AssertionError("serve did not listen within 120 s:\n" + Files.readString(log));
  }
}
