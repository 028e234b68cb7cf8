package io.fraudlake.scoring;

/**
 * Told about every scoring batch once its rows, metrics and drift rows are committed, through the
 * {@link ScoringStatus} the stream reports to; both the {@code score} stream and the live pipeline
 * do. Called on the stream's thread, one batch at a time, so a listener should be quick.
 */
@FunctionalInterface
public interface BatchListener {
  void batchDone(BatchMetrics metrics, BatchDrift drift);
}
