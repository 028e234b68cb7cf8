package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link CheckpointLease}s one job holds while it runs, taken together before it starts a query
 * and released together when it ends, on Ctrl-C too. If one is lost while held, the session's streams
 * are stopped and {@link #close()} fails with the reason, so the job does not end as a success.
 */
public final class JobLeases implements AutoCloseable {
  /**
   * Where the release runs among Hadoop's shutdown hooks, which run one after another, higher
   * priority first: above Spark's (which stops the context at {@code FileSystem.SHUTDOWN_HOOK_PRIORITY
   * + 30}), so the streams still stop cleanly before it, and above Hadoop's closing of the file systems.
   */
  public static final int SHUTDOWN_PRIORITY = FileSystem.SHUTDOWN_HOOK_PRIORITY + 40;
  private static final Logger LOG = LoggerFactory.getLogger(JobLeases.class);
  private static final long SHUTDOWN_SECONDS = 60;

  private final SparkSession spark;
  private final List<CheckpointLease> leases = new ArrayList<>();
  private final Runnable onShutdown = this::stopStreamsAndRelease;

  private JobLeases(SparkSession spark) {
    this.spark = spark;
  }

  /** Leases on the checkpoints of {@code queries} ({@code <home>/checkpoints/<query>}) for {@code job}. */
  public static JobLeases onCheckpoints(Lakehouse lakehouse, String job, List<String> queries) {
    Map<java.nio.file.Path, String> folders = new LinkedHashMap<>();
    queries.forEach(q -> folders.put(lakehouse.checkpoint(q), "checkpoint"));
    return take(lakehouse, job, folders);
  }

  /** A lease on one folder {@code job} writes, named {@code what} in messages. */
  public static JobLeases onFolder(Lakehouse lakehouse, String job, String what, java.nio.file.Path folder) {
    return take(lakehouse, job, Map.of(folder, what));
  }

  private static JobLeases take(Lakehouse lakehouse, String job, Map<java.nio.file.Path, String> folders) {
    Duration timeout = lakehouse.config().duration("streaming.lease-timeout");
    if (timeout.toMillis() < 1) {
      throw new FraudLakeException("fraudlake.streaming.lease-timeout must be positive, got " + timeout);
    }
    Configuration hadoop = lakehouse.spark().sparkContext().hadoopConfiguration();
    JobLeases taken = new JobLeases(lakehouse.spark());
    try {
      for (Map.Entry<java.nio.file.Path, String> folder : folders.entrySet()) {
        Path path = new Path(folder.getKey().toAbsolutePath().toUri());
        taken.leases.add(CheckpointLease.acquire(path.getFileSystem(hadoop), path, folder.getValue(), job, timeout, taken::stopStreams));
      }
    } catch (java.io.IOException e) {
      taken.release();
      throw new FraudLakeException("cannot reach the checkpoints of " + job + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      taken.release();
      throw e;
    }
    ShutdownHookManager.get().addShutdownHook(taken.onShutdown, SHUTDOWN_PRIORITY, SHUTDOWN_SECONDS, TimeUnit.SECONDS);
    return taken;
  }

  /** Releases the leases; fails with the reason if one was lost while held (the job's streams were stopped then). */
  @Override
  public void close() {
    try {
      ShutdownHookManager.get().removeShutdownHook(onShutdown);
    } catch (IllegalStateException shuttingDown) {
      // The shutdown hook releases them as well; releasing twice does nothing.
    }
    release();
    Optional<String> lost = leases.stream().map(CheckpointLease::lostReason).flatMap(Optional::stream).findFirst();
    if (lost.isPresent()) {
      throw new FraudLakeException("lost the lease on " + lost.get() + "; the job stopped so that two processes do not write it");
    }
  }

  private void release() {
    leases.forEach(CheckpointLease::close);
  }

  private void stopStreamsAndRelease() {
    stopStreams();
    release();
  }

  /** Stops the session's streams: a command's JVM runs one job, whose queries these are. */
  private void stopStreams() {
    for (StreamingQuery query : spark.streams().active()) {
      try {
        query.stop();
      } catch (TimeoutException e) {
        LOG.warn("stream {} did not stop in time: {}", query.name(), e.getMessage());
      }
    }
  }
}
