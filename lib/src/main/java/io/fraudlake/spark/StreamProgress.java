package io.fraudlake.spark;

import java.io.PrintStream;
import java.util.Locale;
import java.util.UUID;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * One line per micro-batch of one query (batch id, input rows, rows/s), so a user following a
 * stream in a terminal sees it move. Batches that read nothing are not printed: an idle running
 * stream would otherwise fill the screen.
 */
public final class StreamProgress extends StreamingQueryListener implements AutoCloseable {
  private final SparkSession spark;
  private final String label;
  private final PrintStream out;
  private volatile UUID queryId;

  private StreamProgress(SparkSession spark, String label, PrintStream out) {
    this.spark = spark;
    this.label = label;
    this.out = out;
  }

  /** Registers a listener printing the progress of the query named {@code label}. */
  public static StreamProgress attach(SparkSession spark, String label, PrintStream out) {
    StreamProgress listener = new StreamProgress(spark, label, out);
    spark.streams().addListener(listener);
    return listener;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (label.equals(event.name())) {
      queryId = event.id();
    }
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress p = event.progress();
    if (!p.id().equals(queryId) || p.numInputRows() == 0) {
      return;
    }
    double seconds = p.batchDuration() / 1000.0;
    double rate = seconds > 0 ? p.numInputRows() / seconds : 0;
    out.println(String.format(Locale.ROOT, "[%s] batch %d: %,d input rows in %.1f s (%,.0f rows/s)",
        label, p.batchId(), p.numInputRows(), seconds, rate));
    out.flush();
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  @Override
  public void close() {
    spark.streams().removeListener(this);
  }
}
