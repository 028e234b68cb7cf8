package io.fraudlake.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.tables.DeltaTable;
import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.DeltaCheckpoints;
import io.fraudlake.spark.DeltaCompaction;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.TableLayout;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** The layout and properties of the tables the jobs create, and the migration of tables created before. */
class TableLayoutTest {

  private static List<String> lines(int count) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      lines.add(String.format("{\"TransactionID\":\"l-%02d\",\"event_timestamp\":\"2024-03-10T08:00:%02dZ\",\"card_id\":\"card-%d\","
          + "\"TransactionAmt\":%d.5,\"ProductCD\":\"W\"}", i, i, i % 3, i));
    }
    lines.add("not json");
    return lines;
  }

  private static Map<String, String> properties(Lakehouse lakehouse, String table) {
    return lakehouse.deltaTable(table).detail().select("properties").first().getJavaMap(0);
  }

  @Test
  void everyTableTheJobsCreateIsClusteredForItsQueriesAndCompactedBesideTheStreams() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    Pipelines.land(lakehouse, "events.jsonl", lines(10));
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
    ScoringStream.batchWriter(lakehouse, null, Optional.empty(), ScoringStatus.silent(), Tables.SILVER, false);

    Map<String, List<String>> expected = Map.of(
        Tables.BRONZE, List.of("event_timestamp", "card_id"),
        Tables.QUARANTINE, List.of("ingested_at"),
        Tables.SILVER, List.of("event_timestamp", "card_id"),
        Tables.GOLD, List.of("event_timestamp", "card_id"),
        Tables.BATCH_METRICS, List.of("scored_at"),
        Tables.FEATURE_DRIFT, List.of("window_end", "feature"));
    for (String table : Tables.ALL) {
      assertEquals(expected.get(table), TableLayout.currentClustering(lakehouse, table), table);
      assertTrue(TableLayout.isApplied(lakehouse, table), table);
      Map<String, String> properties = properties(lakehouse, table);
      assertEquals("200", properties.get(DeltaCompaction.EVERY_PROPERTY), table);
      assertEquals(Integer.toString(lakehouse.checkpointInterval(table)), properties.get(DeltaCheckpoints.INTERVAL_PROPERTY), table);
      assertEquals(Integer.toString(DeltaCheckpoints.DELTA_NEVER), properties.get("delta.checkpointInterval"), table);
      assertFalse(properties.containsKey("delta.autoOptimize.autoCompact"), table + ": compacted off the write path, not in the commit");
    }
  }

  @Test
  void withoutBackgroundWorkDeltaCompactsInTheCommitAndAForeignSchemaStaysUnclustered() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("lakehouse.background-checkpoints", "false")));
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    assertEquals("true", properties(lakehouse, Tables.GOLD).get("delta.autoOptimize.autoCompact"));
    assertFalse(properties(lakehouse, Tables.GOLD).containsKey(DeltaCompaction.EVERY_PROPERTY));

    lakehouse.createIfMissing(Tables.SILVER, new org.apache.spark.sql.types.StructType().add("TransactionID", "string"));
    assertEquals(List.of(), TableLayout.currentClustering(lakehouse, Tables.SILVER), "no event_timestamp, no card_id");

    FraudLakeException off = assertThrows(FraudLakeException.class,
        () -> SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("lakehouse.compact-every", "-1"))).compactEvery());
    assertEquals("fraudlake.lakehouse.compact-every must be 0 (off) or a number of commits, got -1", off.getMessage());
  }

  @Test
  void theFilesStreamsAppendAreCompactedEveryFewCommitsWithEveryRowKept() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("lakehouse.compact-every", "4")));
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    for (long batch = 0; batch < 13; batch++) {
      DeltaWrites.appendOnce(lakehouse, goldRows(lakehouse, batch, 5), Tables.GOLD, "compaction-test", batch);
      // As under a stream whose compactions keep up: one still queued makes the next due one wait its turn.
      DeltaCheckpoints.awaitQueued(Duration.ofMinutes(2));
    }

    long files = lakehouse.deltaTable(Tables.GOLD).detail().select("numFiles").first().getLong(0);
    assertTrue(files <= 5, "13 one-file commits, compacted every 4: " + files + " files");
    assertEquals(65, lakehouse.read(Tables.GOLD).count());
    assertEquals(65, lakehouse.read(Tables.GOLD).select("TransactionID").distinct().count());
    assertTrue(lakehouse.deltaTable(Tables.GOLD).history().where("operation = 'OPTIMIZE'").count() >= 2);
  }

  @Test
  void aTableCreatedBeforeTheLayoutIsClusteredByMaintainKeepingItsRowsAndHistory() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    // As earlier versions created it: no clustering, no compaction property.
    DeltaTable.createIfNotExists(lakehouse.spark()).addColumns(GoldSchema.PREDICTIONS)
        .location(lakehouse.path(Tables.GOLD).toString()).execute();
    for (long batch = 0; batch < 6; batch++) {
      DeltaWrites.appendOnce(lakehouse, goldRows(lakehouse, batch, 7), Tables.GOLD, "old-writer", batch);
    }
    List<Row> before = lakehouse.read(Tables.GOLD).collectAsList();
    TableMaintenance maintenance = new TableMaintenance(lakehouse);

    // While a writer of gold holds its checkpoint, the layout waits: a metadata change would fail its appends.
    try (JobLeases running = JobLeases.onCheckpoints(lakehouse, "score", List.of(ScoringStream.QUERY_NAME))) {
      MaintenanceReport.TableReport busy = maintenance.run(List.of(Tables.GOLD), false).table(Tables.GOLD);
      assertTrue(busy.layout().startsWith("not clustered yet: checkpoint "), busy.layout());
      assertTrue(busy.layout().contains("in use by score"), busy.layout());
      assertEquals(1, busy.filesAfter(), "compacted all the same");
    }
    assertEquals(List.of(), TableLayout.currentClustering(lakehouse, Tables.GOLD));

    MaintenanceReport.TableReport migrated = maintenance.run(List.of(Tables.GOLD), true).table(Tables.GOLD);
    assertEquals("clustered by (event_timestamp, card_id) now (migrated)", migrated.layout());
    assertEquals(List.of("event_timestamp", "card_id"), TableLayout.currentClustering(lakehouse, Tables.GOLD));
    assertEquals("200", properties(lakehouse, Tables.GOLD).get(DeltaCompaction.EVERY_PROPERTY));
    Dataset<Row> after = lakehouse.read(Tables.GOLD);
    Dataset<Row> was = lakehouse.spark().createDataFrame(before, GoldSchema.PREDICTIONS);
    assertEquals(42, after.count());
    assertEquals(0, was.exceptAll(after).count(), "no row lost");
    assertEquals(0, after.exceptAll(was).count(), "no row added");
    // The exactly-once lookup still finds every batch's tag in the history.
    for (long batch = 0; batch < 6; batch++) {
      assertTrue(DeltaWrites.versionTagged(lakehouse, Tables.GOLD, "old-writer", batch).isPresent(), "batch " + batch);
    }
    assertEquals("clustered by (event_timestamp, card_id)", maintenance.run(List.of(Tables.GOLD), true).table(Tables.GOLD).layout());
  }

  @Test
  void aRetentionShorterThanDeltasDefaultOrTheReplayHorizonIsRefused() {
    FraudLakeException short7 = assertThrows(FraudLakeException.class, () -> VacuumRetention.configured(
        FraudLakeConfig.defaults(SharedSpark.tempDir("home"), Map.of("maintenance.vacuum-retention", "48 hours"))));
    assertEquals("fraudlake.maintenance.vacuum-retention must be at least 7 days (Delta's default retention, which time travel "
        + "and lagging streams rely on), got 2 days", short7.getMessage());
    FraudLakeException belowHorizon = assertThrows(FraudLakeException.class, () -> VacuumRetention.configured(
        FraudLakeConfig.defaults(SharedSpark.tempDir("home"),
            Map.of("maintenance.vacuum-retention", "8 days", "maintenance.replay-horizon", "14 days"))));
    assertEquals("fraudlake.maintenance.vacuum-retention (8 days) must not be shorter than fraudlake.maintenance.replay-horizon "
        + "(14 days)", belowHorizon.getMessage());
  }

  static Dataset<Row> goldRows(Lakehouse lakehouse, long batch, int count) {
    List<Row> rows = new ArrayList<>();
    Timestamp start = ScoringFixtures.start();
    for (int i = 0; i < count; i++) {
      long n = batch * 1000 + i;
      rows.add(RowFactory.create("g-" + n, new Timestamp(start.getTime() + n * 1000L), 10.0 + i, 0.4 + i / 100.0 + batch / 1000.0, i == 0,
          "card-" + (n % 11), "fraud_isolation_forest", "1", new Timestamp(start.getTime() + batch * 60_000L)));
    }
    return lakehouse.spark().createDataFrame(rows, GoldSchema.PREDICTIONS);
  }
}
