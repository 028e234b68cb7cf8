package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;

/** {@code maintain} as a user runs it, beside a running {@code score} stream. */
class MaintainCommandTest {
  private static final int COMMITS = 24;
  private static final int ROWS = 10;

  @Test
  void maintainBesideARunningScoreStreamLosesNothingAndDoublesNothing() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilverCommits(lakehouse, "m", COMMITS / 2, ROWS, ScoringFixtures.start());
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("1"), 1L);

    // One silver commit per micro-batch, so the stream keeps appending to gold while maintain runs.
    CompletableFuture<CliRun.Outcome> score = CompletableFuture.supplyAsync(() -> CliRun.run(config.home(), "score",
        "--model-path", model.toString(), "--set", "scoring.max-files-per-trigger=1", "--set", "scoring.trigger=100 milliseconds"));
    CliRun.Outcome first;
    CliRun.Outcome second;
    try {
      awaitGoldCommits(lakehouse, 3);
      first = CliRun.run(config.home(), "maintain");
      // More silver while the stream runs: its reader and gold's appends go on beside the second run.
      for (int c = COMMITS / 2; c < COMMITS; c++) {
        ScoringFixtures.appendSilver(lakehouse, ScoringFixtures.silverRows("m", c * ROWS, ROWS, ScoringFixtures.start(), 7), 1);
      }
      second = CliRun.run(config.home(), "maintain", "--table", Tables.GOLD, "--table", Tables.SILVER);
      awaitGoldRows(lakehouse, COMMITS * ROWS);
    } finally {
      stopScoreStream(SharedSpark.session());
    }
    CliRun.Outcome scored = score.get(2, TimeUnit.MINUTES);

    assertEquals(0, scored.exit(), scored.err());
    assertEquals(0, first.exit(), first.err());
    assertEquals(0, second.exit(), second.err());
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
    assertEquals(COMMITS * ROWS, lakehouse.read(Tables.GOLD).count());

    List<String> lines = first.out().lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("maintain: silver_transactions_base: clustered by (event_timestamp, card_id) "
        + "now (migrated); files 12 -> 1")), first.out());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("maintain: fraud_predictions: ")
        && l.contains("VACUUM kept 7 days (maintenance.vacuum-retention)")), first.out());
    assertTrue(lines.get(lines.size() - 1).matches("maintain: [0-9]+ tables, files .* in [0-9.]+ s"), first.out());
    // Gold was created by the stream with its layout: the layout holds while gold's writer runs.
    assertTrue(second.out().contains("maintain: fraud_predictions: clustered by (event_timestamp, card_id); files "), second.out());
  }

  @Test
  void badInputIsOneLine() {
    Path home = SharedSpark.tempDir("cli-home");
    assertOneLineError(CliRun.run(home, "maintain", "--table", "fraud_scores"), "no FraudLake table fraud_scores (the tables: ");
    assertOneLineError(CliRun.run(home, "maintain", "--set", "maintenance.vacuum-retention=1 day"),
        "fraudlake.maintenance.vacuum-retention must be at least 7 days");
  }

  private static void assertOneLineError(CliRun.Outcome outcome, String start) {
    assertEquals(1, outcome.exit(), outcome.err());
    List<String> lines = outcome.err().lines().filter(l -> l.startsWith("fraudlake")).toList();
    assertEquals(1, lines.size(), outcome.err());
    assertTrue(lines.get(0).startsWith("fraudlake maintain: error: " + start), lines.get(0));
  }

  private static void awaitGoldCommits(Lakehouse lakehouse, long commits) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline) {
      if (lakehouse.exists(Tables.GOLD) && lakehouse.latestVersion(Tables.GOLD) >= commits) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("gold did not reach " + commits + " commits");
  }

  private static void awaitGoldRows(Lakehouse lakehouse, long rows) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    long seen = -1;
    while (System.nanoTime() < deadline) {
      seen = lakehouse.read(Tables.GOLD).count();
      if (seen >= rows) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("gold holds " + seen + " rows, not " + rows);
  }

  private static void stopScoreStream(SparkSession spark) throws Exception {
    for (StreamingQuery query : spark.streams().active()) {
      if (ScoringStream.QUERY_NAME.equals(query.name())) {
        query.stop();
      }
    }
  }
}
