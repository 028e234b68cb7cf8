package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** `score` as users run it: a separate JVM, killed with SIGKILL and started again. */
class ScoreProcessTest {
  private static final int FILES = 12;
  private static final int ROWS_PER_FILE = 10;

  private final List<Process> children = new ArrayList<>();

  /** A failed assertion must not leave a scoring JVM behind. */
  @AfterEach
  void killChildren() {
    children.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
  }

  private static Process launch(Path home, Path log, Map<String, String> env, String... args) throws IOException {
    List<String> options = new ArrayList<>(List.of("--set", "scoring.max-files-per-trigger=1"));
    options.addAll(List.of(args));
    return ForkedCli.launch("score", home, log, env, options);
  }

  @Test
  void killedWithSigkillMidRunThenRestartedEveryRowIsScoredExactlyOnce() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilver(lakehouse,
        ScoringFixtures.silverRows("k", 0, FILES * ROWS_PER_FILE, ScoringFixtures.start(), 11), FILES);
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("7"), 7L);
    Path log = config.home().resolve("score-1.log");

    Process first = launch(config.home(), log, Map.of(), "--once", "--model-path", model.toString());
    children.add(first);
    // Table creation is commit 0; wait for a few scored batches, then pull the plug mid-run.
    ForkedCli.killOnceGoldHas(first, lakehouse, 3, log);

    long partial = lakehouse.read(Tables.GOLD).count();
    assertTrue(partial > 0 && partial < FILES * ROWS_PER_FILE, "killed mid-run, gold holds " + partial);

    Path log2 = config.home().resolve("score-2.log");
    Process second = launch(config.home(), log2, Map.of(), "--once", "--model-path", model.toString());
    children.add(second);
    assertTrue(second.waitFor(6, TimeUnit.MINUTES), "restart finishes:\n" + Files.readString(log2));
    String output = Files.readString(log2);
    assertEquals(0, second.exitValue(), output);
    assertTrue(output.contains("score: batch "), "status line per batch when not on a terminal:\n" + output);

    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
    assertEquals(lakehouse.read(Tables.GOLD).count(), lakehouse.read(Tables.BATCH_METRICS)
        .agg(org.apache.spark.sql.functions.sum("rows")).first().getLong(0), "batch metrics add up to gold");
  }

  @Test
  void registryDownAtStartIsAOneLineError() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path home = SharedSpark.tempDir("home");
    Path log = home.resolve("score.log");
    Process score = launch(home, log, Map.of("MLFLOW_TRACKING_URI", "http://127.0.0.1:" + port), "--once");
    children.add(score);

    assertTrue(score.waitFor(2, TimeUnit.MINUTES));
    List<String> lines = Files.readAllLines(log).stream().filter(l -> l.startsWith("fraudlake score:")).toList();
    assertEquals(1, score.exitValue(), String.join("\n", Files.readAllLines(log)));
    assertEquals(1, lines.size(), String.join("\n", Files.readAllLines(log)));
    assertTrue(lines.get(0).startsWith("fraudlake score: error: cannot load the model models:/fraud_isolation_forest@prod"),
        lines.get(0));
  }
}
