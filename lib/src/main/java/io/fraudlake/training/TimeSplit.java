package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;

import io.fraudlake.FraudLakeException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * An out-of-time split of silver at one event-time cutoff: training is every row strictly before
 * the cutoff, evaluation every row at or after it. Fraud models are used on the future, so they are
 * judged on a later window than the one they were fitted on, never on a random sample of the same
 * period (which leaks the card's behaviour in the window into training).
 */
public final class TimeSplit {
  /** Accuracy of the event-time quantile (relative rank error 1/ACCURACY). */
  private static final int QUANTILE_ACCURACY = 100_000;

  private final Instant cutoff;
  private final Dataset<Row> train;
  private final Dataset<Row> evaluation;

  private TimeSplit(Instant cutoff, Dataset<Row> train, Dataset<Row> evaluation) {
    this.cutoff = cutoff;
    this.train = train;
    this.evaluation = evaluation;
  }

  /** Trains on the earliest {@code trainFraction} of rows by event time. */
  public static TimeSplit byFraction(Dataset<Row> silver, double trainFraction) {
    if (!(trainFraction > 0.0 && trainFraction < 1.0)) {
      throw new FraudLakeException("the train fraction must be between 0 and 1 (exclusive), not " + trainFraction);
    }
    return at(silver, quantileTime(silver, trainFraction));
  }

  /** Trains on every row before {@code cutoff}; evaluates on the rows from it on. */
  public static TimeSplit until(Dataset<Row> silver, Instant cutoff) {
    return at(silver, cutoff);
  }

  /**
   * The latest part of silver: the last {@code 1 - trainFraction} of rows by event time, the same
   * window a training run with that fraction evaluates on.
   */
  public static Dataset<Row> latestFraction(Dataset<Row> silver, double trainFraction) {
    return byFraction(silver, trainFraction).evaluation();
  }

  /** Every row within {@code window} of the newest event time in silver. */
  public static Dataset<Row> latestWindow(Dataset<Row> silver, Duration window) {
    if (window.isNegative() || window.isZero()) {
      throw new FraudLakeException("the evaluation window must be a positive duration, not " + window);
    }
    Row newest = silver.agg(max(col(ModelFeatures.EVENT_TIME))).first();
    if (newest.isNullAt(0)) {
      throw new FraudLakeException("silver has no rows to evaluate on");
    }
    Instant from = newest.getTimestamp(0).toInstant().minus(window);
    return silver.where(col(ModelFeatures.EVENT_TIME).geq(lit(Timestamp.from(from))));
  }

  private static TimeSplit at(Dataset<Row> silver, Instant cutoff) {
    Column time = col(ModelFeatures.EVENT_TIME);
    Column before = time.lt(lit(Timestamp.from(cutoff)));
    return new TimeSplit(cutoff, silver.where(before), silver.where(time.isNotNull().and(before.unary_$bang())));
  }

  private static Instant quantileTime(Dataset<Row> silver, double fraction) {
    Row row = silver
        .agg(percentile_approx(col(ModelFeatures.EVENT_TIME), lit(fraction), lit(QUANTILE_ACCURACY)), min(col(ModelFeatures.EVENT_TIME)))
        .first();
    if (row.isNullAt(0)) {
      throw new FraudLakeException("silver has no rows to train on");
    }
    Instant quantile = row.getTimestamp(0).toInstant();
    Instant earliest = row.getTimestamp(1).toInstant();
    // percentile_approx returns an existing value; a cutoff on the earliest time would leave training empty.
    return quantile.equals(earliest) ? quantile.plusNanos(1000) : quantile;
  }

  /**
   * Reads a cutoff as users type it: an ISO instant ({@code 2024-03-01T12:00:00Z}), a local
   * date-time or a date, the last two in UTC like every event time in silver.
   */
  public static Instant parseTime(String text) {
    String value = text.trim();
    try {
      return Instant.parse(value);
    } catch (java.time.format.DateTimeParseException notAnInstant) {
      try {
        return java.time.OffsetDateTime.parse(value).toInstant();
      } catch (java.time.format.DateTimeParseException notOffset) {
        try {
          return java.time.LocalDateTime.parse(value).toInstant(java.time.ZoneOffset.UTC);
        } catch (java.time.format.DateTimeParseException notLocal) {
          try {
            return java.time.LocalDate.parse(value).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
          } catch (java.time.format.DateTimeParseException notDate) {
            throw new FraudLakeException("cannot read '" + text + "' as a time: use 2024-03-01T12:00:00Z, "
                + "2024-03-01T12:00:00 (UTC) or 2024-03-01");
          }
        }
      }
    }
  }

  /** The first event time of the evaluation part; every training row is strictly earlier. */
  public Instant cutoff() {
    return cutoff;
  }

  public Dataset<Row> train() {
    return train;
  }

  public Dataset<Row> evaluation() {
    return evaluation;
  }

  /** Row count and event-time range of one part. */
  public static Window describe(Dataset<Row> part) {
    Row row = part.agg(org.apache.spark.sql.functions.count(lit(1)), min(col(ModelFeatures.EVENT_TIME)), max(col(ModelFeatures.EVENT_TIME))).first();
    long rows = row.getLong(0);
    return new Window(rows,
        row.isNullAt(1) ? null : row.getTimestamp(1).toInstant(),
        row.isNullAt(2) ? null : row.getTimestamp(2).toInstant());
  }

  /** How many rows a part has and the event times it spans ({@code null} when empty). */
  public record Window(long rows, Instant from, Instant to) {
    public String describe() {
      return rows == 0 ? "no rows" : String.format("%,d rows, %s .. %s", rows, from, to);
    }
  }
}
