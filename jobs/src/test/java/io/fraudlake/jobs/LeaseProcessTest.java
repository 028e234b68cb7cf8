package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two writers on one lakehouse, as separate JVMs: a second `run` is refused while the first runs, and
 * after the first is killed with SIGKILL a restart takes its leases over and finishes the work.
 */
class LeaseProcessTest {
  private static final int FILES = 12;
  private static final List<String> LEASES = List.of("run.lease", "bronze.lease", "silver.lease", "score.lease");

  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() {
    children.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
  }

  @Test
  void aSecondRunIsRefusedWhileTheFirstRunsAndARestartTakesOverTheLeasesOfAKilledOne() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    for (int f = 0; f < FILES; f++) {
      Pipelines.land(lakehouse, String.format(Locale.ROOT, "lease-%02d.jsonl", f), RunProcessTest.events(f));
    }
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("3"), 3L);
    Path checkpoints = config.checkpointsDir();

    // One file per micro-batch, 2 s apart: the first run is still working through landing while the second starts.
    Path log1 = config.home().resolve("run-1.log");
    Process first = ForkedCli.launch("run", config.home(), log1, Map.of(),
        List.of("--model-path", model.toString(), "--trigger", "2s", "--set", "landing.max-files-per-trigger=1"));
    children.add(first);
    awaitFiles(first, log1, LEASES.stream().map(checkpoints::resolve).toList());

    Path log2 = config.home().resolve("run-2.log");
    Process second = ForkedCli.launch("run", config.home(), log2, Map.of(), List.of("--model-path", model.toString()));
    children.add(second);
    assertTrue(second.waitFor(3, TimeUnit.MINUTES), "the second run fails at start:\n" + Files.readString(log2));
    assertEquals(1, second.exitValue(), Files.readString(log2));
    List<String> errors = Files.readAllLines(log2).stream().filter(l -> l.startsWith("fraudlake run:")).toList();
    assertEquals(1, errors.size(), Files.readString(log2));
    String holder = "run with pid " + first.pid() + " on host " + Pattern.quote(InetAddress.getLocalHost().getHostName());
    assertTrue(errors.get(0).matches("fraudlake run: error: checkpoint " + Pattern.quote(checkpoints.resolve("run").toString())
            + " is in use by " + holder + " since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(lease renewed \\d+ s ago\\); "
            + "stop that job first"),
        errors.get(0));

    // The first goes on scoring, then is killed mid-stream: its leases stay behind.
    // Creating gold is commit 0: at least one scored batch lands before the kill.
    ForkedCli.killOnceGoldHas(first, lakehouse, Math.max(2, ForkedCli.commits(lakehouse, Tables.GOLD) + 1), log1);
    long expected = (long) (FILES - 1) * RunProcessTest.EVENTS_PER_FILE;
    long partial = lakehouse.read(Tables.GOLD).count();
    assertTrue(partial > 0 && partial < expected, "killed mid-stream, gold holds " + partial);
    LEASES.forEach(lease -> assertTrue(Files.exists(checkpoints.resolve(lease)), lease + " left by the killed run"));

    // Its pid is gone from this host: the restart takes the leases over at once, without waiting for the timeout.
    Path log3 = config.home().resolve("run-3.log");
    Process restart = ForkedCli.launch("run", config.home(), log3, Map.of(), List.of("--model-path", model.toString()));
    children.add(restart);
    ForkedCli.awaitGoldRows(restart, lakehouse, expected, Duration.ofMinutes(5));
    // As Ctrl-C does.
    ForkedCli.stopWith("INT", restart, log3);
    String restartLog = Files.readString(log3);
    assertTrue(restartLog.contains("took over the lease on checkpoint " + checkpoints.resolve("run") + " from " + "run with pid "
        + first.pid()), restartLog);
    assertTrue(restartLog.contains("(pid " + first.pid() + " on this host) is no longer running"), restartLog);
    LEASES.forEach(lease -> assertFalse(Files.exists(checkpoints.resolve(lease)), lease + " released on SIGINT:\n" + restartLog));

    assertEquals((long) FILES * RunProcessTest.EVENTS_PER_FILE, lakehouse.read(Tables.BRONZE).count(), "every landed line in bronze once");
    assertEquals(expected, lakehouse.read(Tables.SILVER).count(), "silver:\n" + restartLog);
    assertEquals(expected, lakehouse.read(Tables.SILVER).select("TransactionID").distinct().count(), "no silver row doubled");
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
  }

  /** Waits (up to 3 minutes) until every file exists; the process must still be running. */
  private static void awaitFiles(Process process, Path log, List<Path> files) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (!files.stream().allMatch(Files::exists) && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(files.stream().allMatch(Files::exists), "leases taken:\n" + Files.readString(log));
  }
}
