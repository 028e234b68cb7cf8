package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * Delta checkpoints written beside the streams rather than inside their commits. Delta writes a
 * table's checkpoint in the commit whose version is a multiple of {@code delta.checkpointInterval},
 * on the writer's thread: the micro-batch making that commit waits for a Spark job that reads and
 * rewrites the table's whole state, seconds on a small machine against a batch of about one.
 *
 * <p>A table FraudLake creates in path mode carries {@value #INTERVAL_PROPERTY} = N instead, and a
 * {@code delta.checkpointInterval} no version reaches ({@link #DELTA_NEVER}). After each of its own
 * commits FraudLake looks at the table (in memory: the snapshot Delta keeps after the commit) and, once
 * the table is N commits past its newest checkpoint, writes one on a thread of its own, with Delta's own
 * clean-up of expired log files as Delta would do it. Readers see the same table: a checkpoint only
 * shortens the log they replay. A checkpoint that fails is logged and tried again after the next commit.
 */
public final class DeltaCheckpoints {
  /** The table property FraudLake reads: commits between two checkpoints. */
  public static final String INTERVAL_PROPERTY = "fraudlake.checkpointInterval";
  /** The {@code delta.checkpointInterval} of such a table: no version reaches a multiple of it. */
  public static final int DELTA_NEVER = Integer.MAX_VALUE;
  private static final Logger LOG = LoggerFactory.getLogger(DeltaCheckpoints.class);

  // One thread, shared with the background compaction ({@link DeltaCompaction}): checkpoints and
  // compactions are rare, and two at once would only compete for the same cores. It does not inherit
  // Spark's local properties (query id, job group, SQL execution) from the batch that happens to
  // create it: its jobs belong to no batch.
  static final ExecutorService WRITER = Executors.newSingleThreadExecutor(runnable -> {
    Thread thread = new Thread(null, runnable, "fraudlake-delta-checkpoint", 0, false);
    thread.setDaemon(true);
    return thread;
  });
  /** Per table path, the version of its newest checkpoint as far as this process knows. */
  private static final ConcurrentMap<String, Long> NEWEST = new ConcurrentHashMap<>();
  private static final Set<String> QUEUED = ConcurrentHashMap.newKeySet();

  private DeltaCheckpoints() {}

  /** Called after a commit to the table at {@code path}: queues its checkpoint when one is due. */
  public static void afterCommit(SparkSession spark, String path) {
    DeltaLog log = DeltaLog.forTable(spark, path);
    Snapshot snapshot = log.unsafeVolatileSnapshot();
    Option<String> every = snapshot.metadata().configuration().get(INTERVAL_PROPERTY);
    if (every.isEmpty()) {
      return;
    }
    long interval = interval(INTERVAL_PROPERTY, every.get(), path);
    // A table without a checkpoint (-1) counts from its first version, as Delta's multiples do.
    long newest = NEWEST.computeIfAbsent(path, p -> Math.max(0, snapshot.checkpointProvider().version()));
    if (snapshot.version() - newest < interval || !QUEUED.add(path)) {
      return;
    }
    WRITER.execute(() -> {
      try {
        Snapshot current = log.unsafeVolatileSnapshot();
        long started = System.nanoTime();
        log.checkpointAndCleanUpDeltaLog(current, Option.empty());
        NEWEST.merge(path, current.version(), Math::max);
        LOG.debug("{}: checkpoint of version {} written in {} ms", path, current.version(), (System.nanoTime() - started) / 1_000_000);
      } catch (RuntimeException e) {
        LOG.warn("{}: Delta checkpoint not written ({}); it is tried again after the next commit", path, Lakehouse.rootMessage(e));
      } finally {
        QUEUED.remove(path);
      }
    });
  }

  /**
   * Writes the table's checkpoint now, on the caller's thread, with Delta's clean-up of expired log
   * files: what {@code maintain} does after compacting a table, so readers start from the new state.
   */
  public static void writeNow(SparkSession spark, String path) {
    DeltaLog log = DeltaLog.forTable(spark, path);
    Snapshot current = log.update(false, Option.empty(), Option.empty());
    log.checkpointAndCleanUpDeltaLog(current, Option.empty());
    NEWEST.merge(path, current.version(), Math::max);
  }

  /**
   * Waits until every checkpoint and compaction queued so far is done (or has failed), at most {@code timeout}:
   * a process about to stop Spark lets the one in progress finish rather than cut it short.
   */
  public static void awaitQueued(Duration timeout) {
    try {
      WRITER.submit(() -> { }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("Delta checkpoints still being written after {} s; stopping anyway", timeout.toSeconds());
    }
  }

  /** A table's "every N commits" property ({@code property} = {@code value}) as N; a clear error when it is not one. */
  static long interval(String property, String value, String path) {
    try {
      long interval = Long.parseLong(value.trim());
      if (interval >= 1) {
        return interval;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new FraudLakeException(path + ": table property " + property + " must be a positive whole number, got '"
        + value + "'");
  }
}
