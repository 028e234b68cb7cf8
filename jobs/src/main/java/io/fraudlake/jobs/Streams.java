package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.monitoring.StreamMetrics;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.QueryStop;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.streaming.StreamingQuery;
import sun.misc.Signal;

/**
 * A running command ends with Ctrl-C (SIGINT), SIGTERM (kill, systemd, Kubernetes, a cluster manager)
 * or SIGHUP the way its user means: the streams commit the batch they are in and stop, the command
 * returns, and the process exits 0. Left to the JVM, a signal starts its shutdown at once: exit 130 or
 * 143, and stopping the streams from a shutdown hook races Spark's own hook, which stops the context
 * under them. A second signal ends the process at once.
 */
final class Streams {
  private static final List<String> STOP_SIGNALS = List.of("INT", "TERM", "HUP");
  private static final Duration STOP_PATIENCE = Duration.ofMinutes(1);
  private static final AtomicReference<Runnable> STOP = new AtomicReference<>();
  private static final AtomicReference<String> STOP_POINT = new AtomicReference<>();
  private static final AtomicBoolean STOPPING = new AtomicBoolean();
  private static boolean handlersInstalled;

  /** What a stream finishes before it stops, as the stop announcement says. */
  static final String AFTER_BATCH = "after the current batch";

  private Streams() {}

  /** Stops {@code query} after its current batch when a stop signal arrives. */
  static void stopOnSignal(StreamingQuery query) {
    onStopSignal(AFTER_BATCH, () -> QueryStop.afterCurrentBatch(query, STOP_PATIENCE));
  }

  /**
   * Runs {@code stop} on the first stop signal, announcing that the command stops {@code when}; the
   * command's own thread, waiting for what {@code stop} ends, then returns normally. A process runs one
   * command, so a later call replaces the action.
   */
  static synchronized void onStopSignal(String when, Runnable stop) {
    STOP.set(stop);
    STOP_POINT.set(when);
    STOPPING.set(false);
    if (!handlersInstalled) {
      for (String name : STOP_SIGNALS) {
        try {
          Signal.handle(new Signal(name), Streams::onSignal);
        } catch (IllegalArgumentException ignoredOrUnknown) {
          // A signal the JVM reserves (-Xrs) or the platform lacks keeps its default behaviour.
        }
      }
      handlersInstalled = true;
    }
  }

  private static void onSignal(Signal signal) {
    if (STOPPING.compareAndSet(false, true)) {
      System.err.println("fraudlake: SIG" + signal.getName() + " received, stopping " + STOP_POINT.get()
          + " (send it again to stop at once)");
      Runnable stop = STOP.get();
      if (stop != null) {
        stop.run();
      }
    } else {
      System.err.println("fraudlake: SIG" + signal.getName() + " received again, stopping at once");
      System.exit(128 + signal.getNumber());
    }
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
}
