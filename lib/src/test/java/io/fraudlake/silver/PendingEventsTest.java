package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class PendingEventsTest {
  private static final StructType SCHEMA = new StructType().add("written_by", DataTypes.LongType);

  private static Dataset<Row> rows(long batch, int count) {
    return SharedSpark.session().createDataFrame(LongStream.range(0, count).mapToObj(i -> RowFactory.create(batch)).toList(), SCHEMA);
  }

  private static List<Long> writers(Dataset<Row> events) {
    return events.collectAsList().stream().map(r -> r.getLong(0)).distinct().sorted().toList();
  }

  private static List<String> snapshots(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aBatchStartsFromTheNewestEarlierSnapshotAndAReplayFromTheSameOne() throws IOException {
    SparkSession spark = SharedSpark.session();
    Path dir = SharedSpark.tempDir("pending");
    PendingEvents pending = new PendingEvents(dir, SCHEMA, dir.resolveSibling("no-legacy-table"));
    assertEquals(0, pending.before(spark, 0).count(), "nothing before the first batch");

    pending.write(rows(0, 3), 0);
    pending.write(rows(1, 2), 1);
    // Batch 2 changed nothing and wrote no snapshot; batch 3 starts from batch 1's.
    assertEquals(List.of(1L), writers(pending.before(spark, 3)));
    pending.write(rows(3, 4), 3);

    assertEquals(List.of("v1", "v3"), snapshots(dir), "only what a replay of batch 3 could need is kept");
    assertEquals(List.of(1L), writers(pending.before(spark, 3)), "a replay of batch 3 starts where it did");
    assertEquals(4, pending.count(spark));
  }

  @Test
  void aSnapshotWithoutItsCommitMarkerIsIgnored() throws IOException {
    SparkSession spark = SharedSpark.session();
    Path dir = SharedSpark.tempDir("pending");
    PendingEvents pending = new PendingEvents(dir, SCHEMA, dir.resolveSibling("no-legacy-table"));
    pending.write(rows(0, 3), 0);
    pending.write(rows(1, 2), 1);
    Files.delete(dir.resolve("v1").resolve("_SUCCESS"));

    assertEquals(List.of(0L), writers(pending.before(spark, 2)));
    pending.write(rows(1, 5), 1);
    assertEquals(5, pending.before(spark, 2).count());
  }

  @Test
  void aCheckpointFromBeforeTheSnapshotsStartsFromItsDeltaTableOfPendingEvents() {
    SparkSession spark = SharedSpark.session();
    Path dir = SharedSpark.tempDir("pending");
    Path legacy = dir.resolveSibling(dir.getFileName() + "-legacy");
    rows(7, 3).write().format("delta").save(legacy.toString());
    PendingEvents pending = new PendingEvents(dir, SCHEMA, legacy);

    assertEquals(List.of(7L), writers(pending.before(spark, 12)), "the events the old layout was holding");
    pending.write(rows(12, 2), 12);
    assertEquals(List.of(12L), writers(pending.before(spark, 13)), "from then on, the snapshots");
  }
}
