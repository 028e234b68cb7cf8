package io.fraudlake.scoring;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The live one-line status of a scoring stream. On a terminal the line is rewritten in place;
 * redirected to a file or a log collector, every batch gets its own line. Every batch is also handed
 * to the {@link BatchListener}s added (the Prometheus endpoint, for one).
 */
public final class ScoringStatus {
  private static final Logger LOG = LogManager.getLogger(ScoringStatus.class);

  private final List<BatchListener> listeners = new CopyOnWriteArrayList<>();
  private final PrintStream out;
  private final boolean rewrite;
  private long batches;
  private long rows;
  private long anomalies;
  private long driftedBatches;
  private int lastLength;

  public ScoringStatus(PrintStream out, boolean rewrite) {
    this.out = out;
    this.rewrite = rewrite;
  }

  /** Status on standard output, rewritten in place when it is a terminal. */
  public static ScoringStatus console() {
    return new ScoringStatus(System.out, System.console() != null);
  }

  /** For callers that want no status line (tests, embedding). */
  public static ScoringStatus silent() {
    return new ScoringStatus(null, false);
  }

  /** Hands every batch from now on to {@code listener} too, after the status line. */
  public ScoringStatus addListener(BatchListener listener) {
    listeners.add(listener);
    return this;
  }

  public synchronized void batchDone(BatchMetrics m) {
    batchDone(m, BatchDrift.NOT_MEASURED);
  }

  /** A batch is done; the features that drifted in it are shown as a marker. */
  public synchronized void batchDone(BatchMetrics m, BatchDrift drift) {
    countAndShow(m, drift.drifted());
    for (BatchListener listener : listeners) {
      try {
        listener.batchDone(m, drift);
      } catch (RuntimeException e) {
        // The batch is already committed to gold: a failing listener must not stop the scoring,
        // nor have Spark replay the batch for it.
        LOG.warn("batch {}: listener {} failed", m.batchId(), listener.getClass().getSimpleName(), e);
      }
    }
  }

  private void countAndShow(BatchMetrics m, List<String> drifted) {
    batches++;
    rows += m.rows();
    anomalies += m.anomalies();
    if (!drifted.isEmpty()) {
      driftedBatches++;
    }
    if (out == null) {
      return;
    }
    Double lag = m.lagSeconds();
    String line = String.format(Locale.ROOT,
        "score: batch %d | %d rows (%.0f rows/s, %.1fs) | %d anomalies (%.2f%%) | total %d rows, %d anomalies in %d batches | %s | lag %s",
        m.batchId(), m.rows(), m.rowsPerSecond(), m.processingSeconds(), m.anomalies(), 100 * m.anomalyRate(),
        rows, anomalies, batches, m.modelName() + " v" + m.modelVersion(), lag == null ? "-" : formatSeconds(lag))
        + (drifted.isEmpty() ? "" : " | DRIFT " + String.join(",", drifted));
    if (rewrite) {
      String padded = line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
      out.print("\r" + padded);
      lastLength = line.length();
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends the rewritten line so the next output starts on its own. */
  public synchronized void finish() {
    if (out != null && rewrite && lastLength > 0) {
      out.println();
      out.flush();
      lastLength = 0;
    }
  }

  public synchronized long batches() {
    return batches;
  }

  public synchronized long rows() {
    return rows;
  }

  public synchronized long anomalies() {
    return anomalies;
  }

  /** Batches in which at least one feature drifted. */
  public synchronized long driftedBatches() {
    return driftedBatches;
  }

  private static String formatSeconds(double seconds) {
    if (Math.abs(seconds) < 120) {
      return String.format(Locale.ROOT, "%.1fs", seconds);
    }
    if (Math.abs(seconds) < 7200) {
      return String.format(Locale.ROOT, "%.1fmin", seconds / 60);
    }
    return String.format(Locale.ROOT, "%.1fh", seconds / 3600);
  }
}
