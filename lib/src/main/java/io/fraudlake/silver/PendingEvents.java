package io.fraudlake.silver;

import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * The silver stream's events that wait for the watermark, kept beside its checkpoint as one Parquet
 * snapshot per micro-batch that changed them ({@code v<batch id>/}), the way Spark's own state store
 * keeps a version per batch.
 *
 * <p>Batch N starts from the newest snapshot of a batch before N and writes snapshot N. A replay of
 * N after a crash starts from the same snapshot (the one N wrote, complete or not, is ignored and
 * rewritten), so the replay computes what the first attempt did. A snapshot counts only once Spark's
 * committer has written its {@code _SUCCESS} marker. Snapshots older than the one a batch started
 * from are deleted after it writes its own: no replay can need them any more.
 *
 * <p>It replaced a Delta table that was overwritten every batch: an overwrite makes Delta list every
 * file of the table's state, which cost seconds per batch here, and this state needs no history.
 */
final class PendingEvents {
  private static final String COMMITTED = "_SUCCESS";

  private final SnapshotVersions versions;
  private final StructType schema;
  /** The Delta table of pending events a checkpoint written before these snapshots has instead. */
  private final Path legacyTable;

  PendingEvents(Path dir, StructType schema, Path legacyTable) {
    this.versions = new SnapshotVersions(dir, "", "the silver stream's pending events");
    this.schema = schema;
    this.legacyTable = legacyTable;
  }

  Path dir() {
    return versions.dir();
  }

  /** The events batch {@code batchId} starts from: the newest complete snapshot of an earlier batch. */
  Dataset<Row> before(SparkSession spark, long batchId) {
    OptionalLong version = newestBefore(batchId);
    if (version.isEmpty()) {
      // A stream upgraded from the Delta-table layout still owes the events waiting there.
      if (legacyTable != null && DeltaTable.isDeltaTable(spark, legacyTable.toString())) {
        return spark.read().format("delta").load(legacyTable.toString());
      }
      return spark.createDataFrame(List.of(), schema);
    }
    return spark.read().schema(schema).parquet(versions.of(version.getAsLong()).toString());
  }

  /** Events waiting now (0 before the stream's first batch). */
  long count(SparkSession spark) {
    return before(spark, Long.MAX_VALUE).count();
  }

  /** Writes batch {@code batchId}'s snapshot and drops the ones no replay can need. */
  void write(Dataset<Row> events, long batchId) {
    OptionalLong startedFrom = newestBefore(batchId);
    events.write().mode("overwrite").parquet(versions.of(batchId).toString());
    versions.unneeded(batchId, startedFrom).forEach(PendingEvents::deleteRecursively);
  }

  private OptionalLong newestBefore(long batchId) {
    return versions.newestBefore(batchId, snapshot -> Files.exists(snapshot.resolve(COMMITTED)));
  }

  private static void deleteRecursively(Path path) {
    try (Stream<Path> files = Files.walk(path)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the old pending snapshot " + path, e);
    }
  }
}
