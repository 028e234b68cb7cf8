package io.fraudlake.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Crashes;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.delta.DeltaLog;
import org.junit.jupiter.api.Test;

/**
 * VACUUM after OPTIMIZE never deletes a file a reader still needs. Time is what VACUUM goes by, so
 * each test makes a table's history old on disk: every file of the table dated 12 days back (Delta
 * takes a commit's time from its file) and the compaction's removals dated 10 days back, as if
 * OPTIMIZE had run then. For the lagging stream a plain VACUUM with Delta's default 7 days would delete
 * the compacted-away files (a dry run shows it); {@code maintain} keeps them, and the reader goes on. Removals older than
 * the table's {@code delta.deletedFileRetentionDuration} (7 days) are no longer in its state, and VACUUM
 * deletes those files whatever retention it is given: {@code maintain} then does not run VACUUM at all
 * (the lagging stream); on a table that tracks them longer, it runs VACUUM keeping them (the replay).
 */
class VacuumRetentionTest {
  private static final Duration FILES_AGE = Duration.ofDays(12);
  private static final Duration REMOVED_AGO = Duration.ofDays(10);

  @Test
  void aScoreStreamThatFellBehindResumesAfterMaintainCompactedAndVacuumedSilver() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("scoring.max-files-per-trigger", "1")));
    ProductionModel model = ProductionModel.load(ModelDirectorySource.of(
        ScoringFixtures.saveModel(lakehouse.spark(), SharedSpark.tempDir("model").resolve("1"), 1L), "fraud_isolation_forest"),
        Duration.ZERO);
    ScoringFixtures.appendSilverCommits(lakehouse, "a", 3, 10, ScoringFixtures.start());
    scoreOnce(lakehouse, model);
    // Three more commits the stream has not read: it is behind, as a stream stopped for 12 days would be.
    for (int c = 3; c < 6; c++) {
      ScoringFixtures.appendSilver(lakehouse, ScoringFixtures.silverRows("a", c * 10, 10, ScoringFixtures.start(), 7), 1);
    }
    TableMaintenance maintenance = new TableMaintenance(lakehouse);
    maintenance.optimize(Tables.SILVER);
    age(lakehouse.path(Tables.SILVER));

    List<String> plainVacuumWouldDelete = dryRun(lakehouse, Tables.SILVER, 168);
    assertTrue(plainVacuumWouldDelete.size() >= 6, "a 7-day VACUUM would delete the appended files: " + plainVacuumWouldDelete);

    MaintenanceReport.TableReport silver = maintenance.run(List.of(Tables.SILVER), true).table(Tables.SILVER);
    assertTrue(silver.vacuum().retention().compareTo(FILES_AGE) > 0, silver.line());
    assertTrue(silver.vacuum().reason().startsWith("the score stream reads it on from version "), silver.line());
    // 12 days is longer than the table tracks removed files (7 days): VACUUM cannot keep them, so it does not run.
    assertEquals("the table tracks removed files for 7 days only (delta.deletedFileRetentionDuration)", silver.vacuumSkipped(),
        silver.line());
    assertTrue(silver.diskFilesAfter() >= silver.diskFilesBefore(), "no file deleted: " + silver.line());

    scoreOnce(lakehouse, model);
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
    assertEquals(60, lakehouse.read(Tables.GOLD).count());
  }

  @Test
  void aSilverBatchWaitingForItsReplayReplaysTheSameRowsAfterMaintain() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("features.lateness", "2 seconds")));
    Pipelines.land(lakehouse, "events-1.jsonl", events(0, 20));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    // Silver tracks removed files for 30 days: a replay 12 days late may time travel (Delta refuses to go
    // further back than this), and VACUUM can be told to keep files removed 10 days ago.
    lakehouse.spark().sql("ALTER TABLE " + lakehouse.sqlRef(Tables.SILVER)
        + " SET TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 30 days')");
    // A late event: the next batch's silver rows are computed from silver as it was before that batch.
    Pipelines.land(lakehouse, "events-2.jsonl", events(20, 40));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    List<Row> before = lakehouse.read(Tables.SILVER).collectAsList();
    Path checkpoint = SilverJob.checkpoint(lakehouse);
    long batch = Crashes.newestTaggedBatch(lakehouse, Tables.SILVER);
    Crashes.replayFrom(checkpoint, batch);

    TableMaintenance maintenance = new TableMaintenance(lakehouse);
    maintenance.optimize(Tables.SILVER);
    age(lakehouse.path(Tables.SILVER));
    Files.setLastModifiedTime(checkpoint.resolve("offsets").resolve(Long.toString(batch)), FileTime.from(Instant.now().minus(FILES_AGE)));

    MaintenanceReport.TableReport silver = maintenance.run(List.of(Tables.SILVER), true).table(Tables.SILVER);
    assertTrue(silver.vacuum().reason().startsWith("batch " + batch + " of silver (started "), silver.line());
    assertTrue(silver.vacuum().reason().endsWith(") is replayed from its checkpoint"), silver.line());
    assertEquals(null, silver.vacuumSkipped(), "VACUUM ran, keeping what the replay needs: " + silver.line());
    assertTrue(silver.diskFilesAfter() >= silver.diskFilesBefore(), "no file deleted: " + silver.line());

    SilverStats replay = Pipelines.silverOnce(lakehouse);
    Dataset<Row> after = lakehouse.read(Tables.SILVER);
    Dataset<Row> was = lakehouse.spark().createDataFrame(before, SilverJob.SILVER_SCHEMA);
    assertEquals(0, was.exceptAll(after).count(), "rows missing after the replay");
    assertEquals(0, after.exceptAll(was).count(), "rows doubled by the replay");
    assertEquals(3, replay.waiting());
  }

  /**
   * VACUUM lists a table's folder in as many tasks as Spark's partition-discovery parallelism, 10,000
   * unless set: maintain gives it one per core, and leaves the session's setting as it found it.
   */
  @Test
  void vacuumListsTheTableInOneTaskPerCoreAndLeavesTheSessionAsItWas() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    ScoringFixtures.appendSilverCommits(lakehouse, "l", 3, 10, ScoringFixtures.start());
    SparkContext context = lakehouse.spark().sparkContext();
    AtomicLong largestStage = new AtomicLong();
    SparkListener listener = new SparkListener() {
      @Override
      public void onStageSubmitted(SparkListenerStageSubmitted stage) {
        largestStage.accumulateAndGet(stage.stageInfo().numTasks(), Math::max);
      }
    };
    context.addSparkListener(listener);
    MaintenanceReport.TableReport silver;
    try {
      silver = new TableMaintenance(lakehouse).run(List.of(Tables.SILVER), true).table(Tables.SILVER);
      context.listenerBus().waitUntilEmpty();
    } finally {
      context.removeSparkListener(listener);
    }
    assertEquals(null, silver.vacuumSkipped(), silver.line());
    assertTrue(largestStage.get() <= context.defaultParallelism(),
        "a stage of " + largestStage.get() + " tasks, more than the " + context.defaultParallelism() + " cores");
    assertFalse(lakehouse.spark().conf().contains(TableMaintenance.LISTING_PARALLELISM),
        "maintain left " + TableMaintenance.LISTING_PARALLELISM + " set");
  }

  @Test
  void theRetentionFollowsTheOldestNeedOfEachTable() {
    Instant now = Instant.parse("2026-12-07T08:00:00Z");
    List<VacuumRetention.Need> needs = List.of(
        new VacuumRetention.Need(Tables.SILVER, now.minus(Duration.ofDays(9)), "the score stream"),
        new VacuumRetention.Need(Tables.SILVER, now.minus(Duration.ofDays(2)), "a replay"),
        new VacuumRetention.Need(Tables.GOLD, now.minus(Duration.ofMinutes(30)), "a horizon"));
    Duration week = Duration.ofDays(7);
    assertEquals(new VacuumRetention.Decision(Duration.ofHours(9 * 24 + 1), "the score stream"),
        VacuumRetention.decide(week, needs, Tables.SILVER, now));
    assertEquals(new VacuumRetention.Decision(week, "maintenance.vacuum-retention"), VacuumRetention.decide(week, needs, Tables.GOLD, now));
    assertEquals(new VacuumRetention.Decision(week, "maintenance.vacuum-retention"), VacuumRetention.decide(week, needs, Tables.BRONZE, now));
  }

  private static void scoreOnce(Lakehouse lakehouse, ProductionModel model) {
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);
  }

  private static List<String> events(int from, int to) {
    List<String> lines = new ArrayList<>();
    for (int i = from; i < to; i++) {
      // Event 25 is older than the lateness by the time it lands: silver looks its window up in silver.
      int second = i == 25 ? 5 : i;
      lines.add(String.format("{\"TransactionID\":\"v-%02d\",\"event_timestamp\":\"2024-03-10T08:00:%02dZ\",\"card_id\":\"card-%d\","
          + "\"TransactionAmt\":%d.5,\"ProductCD\":\"W\"}", i, second, i % 3, i));
    }
    return lines;
  }

  /** What VACUUM would delete with this retention (a dry run, with Delta's own check of the retention). */
  private static List<String> dryRun(Lakehouse lakehouse, String table, int hours) {
    return TableMaintenance.vacuum(lakehouse.spark(), "VACUUM " + lakehouse.sqlRef(table) + " RETAIN " + hours + " HOURS DRY RUN")
        .stream().map(r -> r.getString(0)).toList();
  }

  /**
   * Dates the table's history back: every file 12 days old, and each removal recorded in the log 10
   * days ago. No checkpoint may hold the removals yet (the log would be read from it instead).
   */
  private static void age(Path table) throws IOException {
    Pattern removed = Pattern.compile("\"deletionTimestamp\":(\\d+)");
    Path log = table.resolve("_delta_log");
    try (Stream<Path> commits = Files.list(log)) {
      for (Path commit : commits.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
        String text = Files.readString(commit);
        Matcher m = removed.matcher(text);
        StringBuilder aged = new StringBuilder();
        while (m.find()) {
          m.appendReplacement(aged, "\"deletionTimestamp\":" + (Long.parseLong(m.group(1)) - REMOVED_AGO.toMillis()));
        }
        m.appendTail(aged);
        Files.writeString(commit, aged.toString());
        // Hadoop's local file system checks a file against its .crc beside it: the rewritten file has none.
        Files.deleteIfExists(log.resolve("." + commit.getFileName() + ".crc"));
      }
    }
    try (Stream<Path> checkpoints = Files.list(log)) {
      assertTrue(checkpoints.noneMatch(p -> p.getFileName().toString().contains("checkpoint")), "no checkpoint yet");
    }
    FileTime old = FileTime.from(Instant.now().minus(FILES_AGE));
    try (Stream<Path> files = Files.walk(table)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.setLastModifiedTime(file, old);
      }
    }
    DeltaLog.clearCache();
  }
}
