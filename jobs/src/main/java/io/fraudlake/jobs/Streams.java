package io.fraudlake.jobs;

import io.fraudlake.spark.JobLeases;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Running streams end with Ctrl-C: stop the query cleanly so its last batch is committed, before the
 * job's leases are released ({@link JobLeases}) and before Spark's own shutdown stops the context
 * under it. All three are hooks of Hadoop's shutdown hook manager, which runs them one after another,
 * the highest priority first.
 */
final class Streams {
  private static final int STOP_PRIORITY = JobLeases.SHUTDOWN_PRIORITY + 10;
  private static final long STOP_SECONDS = 60;

  private Streams() {}

  static void stopOnShutdown(StreamingQuery query, Runnable afterStop) {
    onShutdown(() -> {
      if (query.isActive()) {
        try {
          query.stop();
        } catch (java.util.concurrent.TimeoutException e) {
          System.err.println("stream " + query.name() + " did not stop in time: " + e.getMessage());
        }
        afterStop.run();
      }
    });
  }

  /** Runs {@code stop} when the JVM is asked to end, first among the hooks above. */
  static void onShutdown(Runnable stop) {
    ShutdownHookManager.get().addShutdownHook(stop, STOP_PRIORITY, STOP_SECONDS, TimeUnit.SECONDS);
  }
}
