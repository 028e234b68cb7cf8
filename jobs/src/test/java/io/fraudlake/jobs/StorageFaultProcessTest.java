package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.FailingLocalFileSystem;
import io.fraudlake.testing.FailingLocalFs;
import io.fraudlake.testing.FailingRawLocalFileSystem;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
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
 * `run` meeting a storage error (a full disk) on a Delta commit of each table it writes, one after
 * the other: each time the job stops with one line naming the problem, and the next start resumes.
 * At the end every landed line is in bronze once and every event in silver and gold once.
 */
class StorageFaultProcessTest {
  private static final List<String> TABLES = List.of(Tables.BRONZE, Tables.SILVER, Tables.GOLD, Tables.BATCH_METRICS,
      Tables.FEATURE_DRIFT);

  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() {
    children.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
  }

  @Test
  void aFailedCommitOfEachTableStopsRunAndTheNextStartLosesAndDoublesNothing() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    int files = RunProcessTest.FILES;
    for (int f = 0; f < files; f++) {
      Pipelines.land(lakehouse, String.format(Locale.ROOT, "run-%02d.jsonl", f), RunProcessTest.events(f));
    }
    Path model = ScoringFixtures.saveMlflowModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("3"), 3L);
    List<String> args = List.of("--model-path", model.toString(), "--trigger", "200ms",
        "--set", "landing.max-files-per-trigger=1", "--set", "monitoring.min-drift-rows=1");

    for (String table : TABLES) {
      // The table's next commit (after its creation): each run fails in its first micro-batch that writes it.
      long version = Math.max(1, ForkedCli.commits(lakehouse, table));
      String failing = ".*/" + Pattern.quote(table) + "/_delta_log/\\.?0*" + version + "\\.json.*";
      List<String> faulty = new ArrayList<>(args);
      faulty.addAll(List.of(
          "--set", "spark.conf.\"spark.hadoop.fs.file.impl\"=" + FailingLocalFileSystem.class.getName(),
          "--set", "spark.conf.\"spark.hadoop.fs.AbstractFileSystem.file.impl\"=" + FailingLocalFs.class.getName(),
          "--set", "spark.conf.\"spark.hadoop." + FailingRawLocalFileSystem.FAIL_PATH + "\"=\"" + failing.replace("\\", "\\\\") + "\""));
      Path log = config.home().resolve("run-" + table + ".log");
      Process run = ForkedCli.launch("run", config.home(), log, Map.of(), faulty);
      children.add(run);
      assertTrue(run.waitFor(4, TimeUnit.MINUTES), "run stops by itself when " + table + " cannot commit:\n" + Files.readString(log));
      String output = Files.readString(log);
      assertNotEquals(0, run.exitValue(), output);
      List<String> errors = output.lines().filter(l -> l.startsWith("fraudlake run: ")).toList();
      assertEquals(1, errors.size(), "one error line:\n" + output);
      assertTrue(errors.get(0).matches("fraudlake run: error: pipeline stopped: stream run failed: cannot append batch \\d+ to "
          + ".*/" + Pattern.quote(table) + ": " + FailingRawLocalFileSystem.MESSAGE), errors.get(0));
      assertEquals(version, ForkedCli.commits(lakehouse, table), table + " stopped before commit " + version);
    }

    long expected = (long) (files - 1) * RunProcessTest.EVENTS_PER_FILE;
    Path log = config.home().resolve("run-final.log");
    Process last = ForkedCli.launch("run", config.home(), log, Map.of(), args);
    children.add(last);
    ForkedCli.awaitGoldRows(last, lakehouse, expected, Duration.ofMinutes(4));
    Thread.sleep(2_000);
    ForkedCli.stopWith("TERM", last, log);

    assertEquals((long) files * RunProcessTest.EVENTS_PER_FILE, lakehouse.read(Tables.BRONZE).count(),
        "every landed line in bronze once");
    assertEquals(expected, lakehouse.read(Tables.SILVER).count(), "silver:\n" + Files.readString(log));
    assertEquals(expected, lakehouse.read(Tables.SILVER).select("TransactionID").distinct().count(), "no silver row doubled");
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
    assertEquals(lakehouse.read(Tables.BATCH_METRICS).count(),
        lakehouse.read(Tables.BATCH_METRICS).select("batch_id").distinct().count(), "one metrics row per batch");
    assertEquals(lakehouse.read(Tables.FEATURE_DRIFT).count(),
        lakehouse.read(Tables.FEATURE_DRIFT).select("batch_id", "feature").distinct().count(), "one drift row per batch and feature");
  }
}
