package io.fraudlake.spark;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a streaming query between micro-batches. {@link StreamingQuery#stop()} interrupts a batch that
 * is running; the checkpoint makes that safe (the batch is replayed on the next start), but a user who
 * asks a stream to stop expects the batch in flight to be committed, not redone.
 */
public final class QueryStop {
  private static final Logger LOG = LoggerFactory.getLogger(QueryStop.class);
  private static final long POLL_MILLIS = 10;

  private QueryStop() {}

  /**
   * Waits up to {@code patience} for {@code query} to finish the batch it is in, then stops it; a batch
   * still running after that is interrupted, and replayed from the checkpoint on the next start.
   */
  public static void afterCurrentBatch(StreamingQuery query, Duration patience) {
    long deadline = System.nanoTime() + patience.toNanos();
    try {
      while (query.isActive() && query.status().isTriggerActive() && System.nanoTime() < deadline) {
        Thread.sleep(POLL_MILLIS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!query.isActive()) {
      return;
    }
    try {
      query.stop();
    } catch (TimeoutException e) {
      LOG.warn("stream {} did not stop in time: {}", query.name(), e.getMessage());
    }
  }
}
