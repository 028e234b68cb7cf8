package io.fraudlake.spark;

import io.delta.tables.DeltaTable;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Compaction of the small files streams write, beside the streams rather than inside their commits.
 * Every micro-batch appends a file or two to each table it writes: a one-second trigger leaves up to
 * 86,400 files a day per table, and every query reads the statistics of each. Delta's own auto
 * compaction runs in the commit that triggers it, on the writer's thread, and a compaction that fails
 * (one that meets {@code maintain}'s OPTIMIZE of the same files, say) fails that write.
 *
 * <p>A table FraudLake creates in path mode carries {@value #EVERY_PROPERTY} = N instead. After N of
 * this process's commits to it, FraudLake runs Delta's OPTIMIZE on the table on the background thread
 * it writes checkpoints with: a clustered table gets its new files clustered, any other its small
 * files merged. OPTIMIZE changes no data (its commit is {@code dataChange = false}), so streams
 * reading the table skip it and appends beside it do not conflict with it. One that fails is logged
 * and tried again N commits later.
 */
public final class DeltaCompaction {
  /** The table property FraudLake reads: commits between two compactions. */
  public static final String EVERY_PROPERTY = "fraudlake.compactEvery";
  private static final Logger LOG = LoggerFactory.getLogger(DeltaCompaction.class);

  /** Per table path, the version this process last compacted at (or first saw). */
  private static final ConcurrentMap<String, Long> SINCE = new ConcurrentHashMap<>();
  private static final Set<String> QUEUED = ConcurrentHashMap.newKeySet();

  private DeltaCompaction() {}

  /** Called after a commit to the table at {@code path}: queues its compaction when one is due. */
  public static void afterCommit(SparkSession spark, String path) {
    DeltaLog log = DeltaLog.forTable(spark, path);
    Snapshot snapshot = log.unsafeVolatileSnapshot();
    Option<String> every = snapshot.metadata().configuration().get(EVERY_PROPERTY);
    if (every.isEmpty()) {
      return;
    }
    long interval = DeltaCheckpoints.interval(EVERY_PROPERTY, every.get(), path);
    // The commit just made is the first this process counts.
    long since = SINCE.computeIfAbsent(path, p -> snapshot.version() - 1);
    if (snapshot.version() - since < interval || !QUEUED.add(path)) {
      return;
    }
    DeltaCheckpoints.WRITER.execute(() -> {
      long version = log.unsafeVolatileSnapshot().version();
      try {
        long started = System.nanoTime();
        DeltaTable.forPath(spark, path).optimize().executeCompaction();
        LOG.debug("{}: compacted at version {} in {} ms", path, version, (System.nanoTime() - started) / 1_000_000);
      } catch (RuntimeException e) {
        LOG.warn("{}: compaction not done ({}); it is tried again {} commits later", path, Lakehouse.rootMessage(e), interval);
      } finally {
        SINCE.merge(path, version, Math::max);
        QUEUED.remove(path);
      }
    });
  }
}
