package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.monitoring.StreamMetrics;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.JobLeases;
import java.util.Optional;
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

  /**
   * The Prometheus endpoint {@code monitoring.metrics-port} (or {@code --metrics-port}) asks for,
   * fed by {@code status} and announced on standard output; null when it is off, which
   * try-with-resources skips.
   */
  static StreamMetrics serveMetrics(FraudLakeConfig config, String query, ScoringStatus status) {
    Optional<StreamMetrics> metrics = StreamMetrics.fromConfig(config, query);
    metrics.ifPresent(m -> {
      status.addListener(m);
      System.out.println(query + ": metrics on " + m.url());
    });
    return metrics.orElse(null);
  }

  /** Runs {@code stop} when the JVM is asked to end, first among the hooks above. */
  static void onShutdown(Runnable stop) {
    ShutdownHookManager.get().addShutdownHook(stop, STOP_PRIORITY, STOP_SECONDS, TimeUnit.SECONDS);
  }
}
