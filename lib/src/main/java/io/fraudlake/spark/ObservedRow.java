package io.fraudlake.spark;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.Await;
import scala.concurrent.duration.FiniteDuration;

/**
 * The aggregates a Spark job observed ({@link org.apache.spark.sql.Dataset#observe}) while it did
 * its own work, so that counting a batch costs no job of its own. Spark hands them over once the
 * observed query completes; should that not happen within a minute, the caller counts instead.
 */
public final class ObservedRow {
  private static final Logger LOG = LoggerFactory.getLogger(ObservedRow.class);

  private ObservedRow() {}

  /** {@code rows}, whose job will also compute {@code aggregates} into {@code observation}. */
  public static Dataset<Row> observe(Dataset<Row> rows, Observation observation, Column[] aggregates) {
    return rows.observe(observation, aggregates[0], Arrays.copyOfRange(aggregates, 1, aggregates.length));
  }

  /** The same {@code aggregates} computed by a job of their own: the fallback when an observation is missing. */
  public static Row aggregate(Dataset<Row> rows, Column[] aggregates) {
    return rows.agg(aggregates[0], Arrays.copyOfRange(aggregates, 1, aggregates.length)).first();
  }

  /** The observed row, or empty (logged, naming {@code what}) when it did not arrive in time. */
  public static Optional<Row> await(Observation observation, String what) {
    try {
      return Optional.of(Await.result(observation.future(), FiniteDuration.apply(1, TimeUnit.MINUTES)));
    } catch (TimeoutException e) {
      LOG.warn("{}: the counts observed while writing did not arrive; counting again", what);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the observed counts of " + what, e);
    }
  }
}
