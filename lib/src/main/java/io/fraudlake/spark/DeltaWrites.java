package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes from inside {@code foreachBatch} that are safe to repeat. Spark re-runs a micro-batch after
 * a failure with the same batch id; a write tagged with (writer id, batch id) that the table already
 * committed is skipped, so a retried batch adds nothing twice.
 *
 * <p>The tag is the commit's {@code userMetadata} ({@value #MARKER}{@code <writer id> <batch id>}):
 * it is part of the commit file, so it lands atomically with the rows. Delta's own
 * {@code txnAppId}/{@code txnVersion} would do the same, but looking the pair up makes Delta rebuild the
 * table's whole state on every commit (SnapshotState.setTransactions); on this project's 2-core
 * machine that took an append of 2,000 rows from about 320 ms to 850 ms, and a scoring batch makes
 * three. Here the table's history is read once per writer id and process, at its first write (the
 * only batch Spark may replay), and later batches are checked against what this process committed.
 *
 * <p>The history lookup reads the newest commits first and stops at the writer's newest tag. A
 * stream stopped for longer than the table's {@code delta.logRetentionDuration} (30 days by default)
 * may find its last tag expired; it then writes its replayed batch again, as a new stream would.
 */
public final class DeltaWrites {
  /** The local property Spark's stream thread sets to the query's id, which survives restarts. */
  private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";
  /** Starts the userMetadata of every tagged commit. */
  public static final String MARKER = "fraudlake-batch ";
  /**
   * Commits read per history step before looking further back (doubled each step). A stream's
   * newest tag is normally among the table's last few commits (its own, between those of the other
   * writers), and every commit read is a file opened, so a restart reads few.
   */
  private static final int FIRST_HISTORY_STEP = 8;
  /** Newest batch id each (table, writer) committed, as far as this process knows. */
  private static final ConcurrentMap<String, Long> LAST_COMMITTED = new ConcurrentHashMap<>();
  private static final Logger LOG = LoggerFactory.getLogger(DeltaWrites.class);

  private DeltaWrites() {}

  /**
   * A writer id for this stream: the query id is stored in the checkpoint, so it stays the same
   * across restarts and changes when the checkpoint is deleted (batch ids then start again at 0 and
   * must not be mistaken for already-committed ones).
   */
  public static String appId(SparkSession spark, String purpose) {
    String queryId = spark.sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    return "fraudlake-" + purpose + "-" + (queryId == null ? "batch" : queryId);
  }

  /**
   * Appends unless this table already committed {@code (appId, version)}.
   *
   * @return whether this call wrote (false: a replayed batch whose append had committed)
   */
  public static boolean appendOnce(Lakehouse lakehouse, Dataset<Row> rows, String table, String appId, long version) {
    Target target = targetOf(lakehouse, table);
    return writeOnce(lakehouse.spark(), rows.write().format("delta").mode("append"), target, appId, version);
  }

  private static boolean writeOnce(SparkSession spark, DataFrameWriter<Row> writer, Target target, String appId, long version) {
    if (version <= lastCommitted(spark, target, appId)) {
      return false;
    }
    String key = target.key(appId);
    boolean saved = false;
    try {
      try {
        target.save(writer.option("userMetadata", MARKER + appId + " " + version));
      } catch (Exception e) {
        // Delta runs its post-commit hooks (auto compaction among them) after the commit has landed,
        // and a hook that fails fails the write: the rows are in, and the batch must not fail for it.
        if (!committed(spark, target, appId, version)) {
          // Storage errors surface as the bare I/O message ("No space left on device"), and Delta throws
          // IOException undeclared: name the table, whatever the exception.
          throw new FraudLakeException("cannot append batch " + version + " to " + target.location() + ": "
              + Lakehouse.rootMessage(e), e);
        }
        LOG.warn("{}: batch {} committed, then Delta failed after the commit ({}); the batch goes on", target.location(), version,
            Lakehouse.rootMessage(e));
      }
      saved = true;
      if (!target.isName()) {
        DeltaCheckpoints.afterCommit(spark, target.location());
        DeltaCompaction.afterCommit(spark, target.location());
      }
    } finally {
      if (saved) {
        LAST_COMMITTED.merge(key, version, Math::max);
      } else {
        // The commit may have landed before the failure: the next attempt must read the history again.
        LAST_COMMITTED.remove(key);
      }
    }
    return true;
  }

  /** Whether the table's history holds this writer's tag for {@code version}; false when it cannot be read either. */
  private static boolean committed(SparkSession spark, Target target, String appId, long version) {
    try {
      return newestTag(spark, target, appId, FIRST_HISTORY_STEP) >= version;
    } catch (RuntimeException unreadable) {
      return false;
    }
  }

  /** Forgets what this process committed, as a restarted process would (tests of the history lookup). */
  static void forgetCommits() {
    LAST_COMMITTED.clear();
  }

  private static long lastCommitted(SparkSession spark, Target target, String appId) {
    Long known = LAST_COMMITTED.get(target.key(appId));
    if (known != null) {
      return known;
    }
    long started = System.nanoTime();
    long newest = newestTag(spark, target, appId, FIRST_HISTORY_STEP);
    LOG.debug("{}: newest batch of {} found in the history in {} ms", target.location(), appId, (System.nanoTime() - started) / 1_000_000);
    return LAST_COMMITTED.merge(target.key(appId), newest, Math::max);
  }

  /** The newest batch id tagged by {@code appId} in the table's history, or -1 (none, or no table yet). */
  static long newestTag(SparkSession spark, Target target, String appId, int firstStep) {
    String prefix = MARKER + appId + " ";
    return newestFirst(spark, target, firstStep, -1L, commits -> {
      long newest = commits.stream().filter(c -> c.taggedBy(prefix)).mapToLong(c -> c.batch(prefix)).max().orElse(-1);
      return newest >= 0 ? Optional.of(newest) : Optional.empty();
    });
  }

  /**
   * The table version whose commit carries the tag {@code (appId, batch)}, if the history still holds
   * it. Read newest-first and stopped at an older tag of the same writer (its tags only grow), so a
   * batch committed recently is found in one short read.
   */
  public static OptionalLong versionTagged(Lakehouse lakehouse, String table, String appId, long batch) {
    String prefix = MARKER + appId + " ";
    return newestFirst(lakehouse.spark(), targetOf(lakehouse, table), FIRST_HISTORY_STEP, OptionalLong.empty(), commits -> {
      for (Commit c : commits) {
        if (c.taggedBy(prefix) && c.batch(prefix) <= batch) {
          return Optional.of(c.batch(prefix) == batch ? OptionalLong.of(c.version()) : OptionalLong.empty());
        }
      }
      return Optional.empty();
    });
  }

  /**
   * Whether a commit that adds rows and is not tagged by {@code appId} came after that writer's
   * newest tag (or the writer has none and the table holds such a commit): another stream, a
   * backfill or a stream of an earlier checkpoint wrote to the table since this writer last did.
   */
  public static boolean othersWroteSince(Lakehouse lakehouse, String table, String appId) {
    String prefix = MARKER + appId + " ";
    return newestFirst(lakehouse.spark(), targetOf(lakehouse, table), FIRST_HISTORY_STEP, false, commits -> {
      // The first commit that is ours settles it, as does the first foreign write.
      for (Commit c : commits) {
        if (c.taggedBy(prefix)) {
          return Optional.of(false);
        }
        if (ADDING_OPERATIONS.contains(c.operation())) {
          return Optional.of(true);
        }
      }
      return Optional.empty();
    });
  }

  /** One entry of a table's history, as the lookups above read it. */
  private record Commit(long version, String operation, String userMetadata) {
    boolean taggedBy(String prefix) {
      return userMetadata != null && userMetadata.startsWith(prefix);
    }

    long batch(String prefix) {
      return Long.parseLong(userMetadata.substring(prefix.length()).trim());
    }
  }

  /**
   * Reads the table's history newest first, {@code firstStep} commits and then twice as many each
   * time, until {@code settle} answers from the commits read so far; {@code ifNone} when the table
   * does not exist or its whole history leaves the question open.
   */
  private static <T> T newestFirst(SparkSession spark, Target target, int firstStep, T ifNone,
      Function<List<Commit>, Optional<T>> settle) {
    if (!target.exists(spark)) {
      return ifNone;
    }
    DeltaTable table = target.table(spark);
    for (long step = firstStep; ; step *= 2) {
      int limit = (int) Math.min(step, Integer.MAX_VALUE);
      List<Commit> read = table.history(limit).select(col("version"), col("operation"), col("userMetadata")).collectAsList()
          .stream().map(r -> new Commit(r.getLong(0), r.getString(1), r.getString(2))).toList();
      Optional<T> answer = settle.apply(read);
      if (answer.isPresent()) {
        return answer.get();
      }
      // Fewer commits than asked for: the history Delta still keeps has been read to its start.
      if (read.size() < limit) {
        return ifNone;
      }
    }
  }

  /** Operations that can add transactions to a table (OPTIMIZE, VACUUM and property changes add none). */
  private static final Set<String> ADDING_OPERATIONS = Set.of("WRITE", "MERGE", "STREAMING UPDATE", "CREATE TABLE AS SELECT",
      "REPLACE TABLE AS SELECT", "CREATE OR REPLACE TABLE AS SELECT");

  private static Target targetOf(Lakehouse lakehouse, String table) {
    return lakehouse.catalogMode()
        ? Target.named(lakehouse.qualifiedName(table)) : Target.at(lakehouse.path(table).toString());
  }

  /** A Delta table by path or by catalog name. */
  record Target(String location, boolean isName) {
    static Target at(String path) {
      return new Target(path, false);
    }

    static Target named(String name) {
      return new Target(name, true);
    }

    String key(String appId) {
      return (isName ? "name:" : "path:") + location + "|" + appId;
    }

    boolean exists(SparkSession spark) {
      return isName ? spark.catalog().tableExists(location) : DeltaTable.isDeltaTable(spark, location);
    }

    DeltaTable table(SparkSession spark) {
      return isName ? DeltaTable.forName(spark, location) : DeltaTable.forPath(spark, location);
    }

    void save(DataFrameWriter<Row> writer) {
      if (isName) {
        writer.saveAsTable(location);
      } else {
        writer.save(location);
      }
    }
  }
}
