package io.fraudlake.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.FraudLakeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;

/**
 * How well a model's scores separate fraud from legitimate rows on a labelled, scored data set:
 * ranking metrics (ROC-AUC, PR-AUC), the model's alerts at its threshold, precision at the top
 * of the ranking, and the curves and histogram the plots need.
 *
 * <p>Everything is computed in Spark by aggregating per distinct score or per histogram bin; only
 * small aggregates (one row per partition, about a thousand curve points, the histogram) reach the
 * driver. Ratios whose denominator is zero (precision with no alerts) are reported as 0.0, as
 * scikit-learn does by default, so the metric map never holds NaN.
 */
public final class EvaluationReport {
  private final EvaluationOptions options;
  private final long rows;
  private final long positives;
  private final long alerts;
  private final long trueAlerts;
  private final double rocAuc;
  private final double prAuc;
  private final List<PrecisionAtK> precisionAtK;
  private final List<CurvePoint> curve;
  private final ScoreHistogram histogram;

  private EvaluationReport(EvaluationOptions options, long rows, long positives, long alerts, long trueAlerts,
      double rocAuc, double prAuc, List<PrecisionAtK> precisionAtK, List<CurvePoint> curve,
      ScoreHistogram histogram) {
    this.options = options;
    this.rows = rows;
    this.positives = positives;
    this.alerts = alerts;
    this.trueAlerts = trueAlerts;
    this.rocAuc = rocAuc;
    this.prAuc = prAuc;
    this.precisionAtK = precisionAtK;
    this.curve = curve;
    this.histogram = histogram;
  }

  /** Evaluates the default columns ({@code fraud_score}, {@code isFraud}, {@code is_anomaly}). */
  public static EvaluationReport compute(Dataset<Row> scored, double threshold) {
    return compute(scored, EvaluationOptions.withThreshold(threshold));
  }

  /**
   * Evaluates {@code scored}: the score column is numeric (higher = more suspicious), the label
   * column is 0/1 numeric or boolean, the prediction column is boolean or 0/1 numeric and must
   * equal {@code score >= threshold}. The three columns are read once into a persisted projection,
   * so an expensive scoring plan upstream is not recomputed for every metric.
   *
   * @throws FraudLakeException on missing or mistyped columns, empty input, nulls, labels other
   *     than 0/1, predictions that disagree with the threshold, or a single-class label column
   */
  public static EvaluationReport compute(Dataset<Row> scored, EvaluationOptions options) {
    Dataset<Row> projected = scored.select(
            scoreColumn(scored, options.scoreColumn()).as("score"),
            labelColumn(scored, options.labelColumn()).as("label"),
            predictionColumn(scored, options.predictionColumn()).as("alert"))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return computeProjected(projected, options);
    } finally {
      projected.unpersist(false);
    }
  }

  private static EvaluationReport computeProjected(Dataset<Row> projected, EvaluationOptions options) {
    Column score = col("score");
    Column label = col("label");
    Column alert = col("alert");
    Row counts = projected.agg(
        count(lit(1)),
        countWhen(score.isNull().or(isnan(score))
            .or(score.isin(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY))),
        countWhen(label.isNull()),
        countWhen(label.isNotNull().and(not(label.isin(0.0, 1.0)))),
        countWhen(alert.isNull()),
        countWhen(label.equalTo(1.0)),
        countWhen(alert),
        countWhen(alert.and(label.equalTo(1.0))),
        countWhen(alert.notEqual(score.geq(options.threshold()))),
        min(score),
        max(score)).first();
    long rows = counts.getLong(0);
    if (rows == 0) {
      throw new FraudLakeException("Evaluation input is empty: there are no scored rows to evaluate");
    }
    requireNone(counts.getLong(1), "null, NaN or infinite scores in column '" + options.scoreColumn() + "'");
    requireNone(counts.getLong(2), "null labels in column '" + options.labelColumn() + "'");
    requireNone(counts.getLong(3), "labels other than 0/1 in column '" + options.labelColumn() + "'");
    requireNone(counts.getLong(4), "null predictions in column '" + options.predictionColumn() + "'");
    long positives = counts.getLong(5);
    long alerts = counts.getLong(6);
    long trueAlerts = counts.getLong(7);
    long disagreements = counts.getLong(8);
    if (disagreements > 0) {
      throw new FraudLakeException(String.format(Locale.ROOT,
          "Prediction column '%s' disagrees with %s >= %s on %d of %d rows; pass the threshold the model alerted with",
          options.predictionColumn(), options.scoreColumn(), options.threshold(), disagreements, rows));
    }
    if (positives == 0) {
      throw new FraudLakeException("ROC-AUC needs both classes; the evaluation window has 0 fraud rows");
    }
    if (positives == rows) {
      throw new FraudLakeException("ROC-AUC needs both classes; the evaluation window has 0 non-fraud rows");
    }

    List<String> keys = new ArrayList<>();
    List<Long> ks = new ArrayList<>();
    for (int k : options.topK()) {
      addTopK(keys, ks, "precision_at_" + k, Math.min(k, rows));
    }
    for (double fraction : options.topFractions()) {
      addTopK(keys, ks, "precision_at_" + percent(fraction) + "pct", Math.min(rows, (long) Math.ceil(fraction * rows)));
    }
    RankingCurve ranking = RankingCurve.compute(projected.select(score, label.cast("int").as("label")),
        positives, rows - positives, ks.stream().mapToLong(Long::longValue).toArray(), options.maxCurvePoints());
    List<PrecisionAtK> topK = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      topK.add(new PrecisionAtK(keys.get(i), ks.get(i), ranking.hitsAtK[i] / ks.get(i)));
    }

    ScoreHistogram histogram = histogram(projected, Math.min(0.0, counts.getDouble(9)),
        Math.max(1.0, counts.getDouble(10)), options.histogramBins());
    return new EvaluationReport(options, rows, positives, alerts, trueAlerts, ranking.rocAuc,
        ranking.averagePrecision, List.copyOf(topK), ranking.points, histogram);
  }

  private static ScoreHistogram histogram(Dataset<Row> projected, double lo, double hi, int bins) {
    Column bin = least(lit(bins - 1), floor(col("score").minus(lo).divide(hi - lo).multiply(bins))).cast("int");
    long[] negatives = new long[bins];
    long[] positives = new long[bins];
    for (Row row : projected.groupBy(bin.as("bin"), col("label")).count().collectAsList()) {
      (row.getDouble(1) == 1.0 ? positives : negatives)[row.getInt(0)] += row.getLong(2);
    }
    return new ScoreHistogram(lo, hi, negatives, positives);
  }

  private static void addTopK(List<String> keys, List<Long> ks, String key, long k) {
    if (!keys.contains(key)) {
      keys.add(key);
      ks.add(k);
    }
  }

  /** 0.01 → "1", 0.005 → "0.5": MLflow keys allow dots, and trailing zeros only add noise. */
  static String percent(double fraction) {
    return new java.math.BigDecimal(Double.toString(fraction)).movePointRight(2).stripTrailingZeros().toPlainString();
  }

  private static Column countWhen(Column condition) {
    return sum(when(condition, 1L).otherwise(0L));
  }

  private static void requireNone(long bad, String what) {
    if (bad > 0) {
      throw new FraudLakeException("Evaluation input has " + bad + " " + what);
    }
  }

  private static StructField field(Dataset<Row> scored, String name, String role) {
    for (StructField f : scored.schema().fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new FraudLakeException("Evaluation input has no " + role + " column '" + name + "' (columns: "
        + String.join(", ", scored.columns()) + ")");
  }

  private static Column quoted(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }

  private static Column scoreColumn(Dataset<Row> scored, String name) {
    DataType type = field(scored, name, "score").dataType();
    if (!(type instanceof NumericType)) {
      throw new FraudLakeException("Score column '" + name + "' must be numeric, not " + type.simpleString());
    }
    return quoted(name).cast("double");
  }

  private static Column labelColumn(Dataset<Row> scored, String name) {
    DataType type = field(scored, name, "label").dataType();
    Column c = quoted(name);
    if (type instanceof BooleanType) {
      // Spelled out so a null label stays null instead of falling through to 0.
      return when(c.isNull(), lit(null).cast("double")).when(c, 1.0).otherwise(0.0);
    }
    if (type instanceof NumericType) {
      return c.cast("double");
    }
    throw new FraudLakeException("Label column '" + name + "' must be 0/1 numeric or boolean, not "
        + type.simpleString());
  }

  private static Column predictionColumn(Dataset<Row> scored, String name) {
    DataType type = field(scored, name, "prediction").dataType();
    Column c = quoted(name);
    if (type instanceof BooleanType) {
      return c;
    }
    if (type instanceof NumericType) {
      return c.notEqual(0);
    }
    throw new FraudLakeException("Prediction column '" + name + "' must be boolean or 0/1 numeric, not "
        + type.simpleString());
  }

  public EvaluationOptions options() {
    return options;
  }

  public double threshold() {
    return options.threshold();
  }

  public long rows() {
    return rows;
  }

  public long positives() {
    return positives;
  }

  public long negatives() {
    return rows - positives;
  }

  public long alerts() {
    return alerts;
  }

  public long trueAlerts() {
    return trueAlerts;
  }

  /** Area under the ROC curve; a tied fraud/legitimate pair counts one half. */
  public double rocAuc() {
    return rocAuc;
  }

  /** Average precision, as scikit-learn's {@code average_precision_score}: sum over thresholds of (R_n - R_n-1) P_n. */
  public double prAuc() {
    return prAuc;
  }

  public double precisionAtThreshold() {
    return alerts == 0 ? 0.0 : (double) trueAlerts / alerts;
  }

  public double recallAtThreshold() {
    return (double) trueAlerts / positives;
  }

  /** Fraction of rows the model alerts on. */
  public double alertRate() {
    return (double) alerts / rows;
  }

  /** Fraction of fraud rows: the precision of alerting at random, the PR curve's baseline. */
  public double baseRate() {
    return (double) positives / rows;
  }

  /** False positive rate of the model's alerts, its operating point on the ROC curve. */
  public double falsePositiveRateAtThreshold() {
    return (double) (alerts - trueAlerts) / negatives();
  }

  public List<PrecisionAtK> precisionAtK() {
    return precisionAtK;
  }

  /**
   * ROC and precision-recall points in descending threshold order, cut down to about
   * {@link EvaluationOptions#maxCurvePoints()}: the first distinct score, the last (TPR = FPR = 1),
   * and every score where TPR or FPR crosses a grid step in between.
   */
  public List<CurvePoint> curve() {
    return curve;
  }

  public ScoreHistogram scoreHistogram() {
    return histogram;
  }

  /** The scalar metrics under their MLflow keys, every value a {@link Number}, in a stable order. */
  public Map<String, Object> metrics() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("roc_auc", rocAuc);
    m.put("pr_auc", prAuc);
    m.put("precision_at_threshold", precisionAtThreshold());
    m.put("recall_at_threshold", recallAtThreshold());
    for (PrecisionAtK p : precisionAtK) {
      m.put(p.key(), p.precision());
    }
    m.put("alert_rate", alertRate());
    m.put("rows", rows);
    m.put("positives", positives);
    m.put("alerts", alerts);
    m.put("true_alerts", trueAlerts);
    m.put("threshold", threshold());
    return m;
  }

  /**
   * {@link #metrics()} plus the plot data, made only of maps, lists, strings and numbers so any
   * JSON library can write it: {@code roc_curve} and {@code pr_curve} (lists of points) and
   * {@code score_histogram} (bin edges and the counts per label).
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>(metrics());
    List<Map<String, Object>> roc = new ArrayList<>();
    List<Map<String, Object>> pr = new ArrayList<>();
    for (CurvePoint p : curve) {
      roc.add(point("threshold", p.threshold(), "fpr", p.fpr(), "tpr", p.tpr()));
      pr.add(point("threshold", p.threshold(), "recall", p.recall(), "precision", p.precision()));
    }
    m.put("roc_curve", roc);
    m.put("pr_curve", pr);
    Map<String, Object> hist = new LinkedHashMap<>();
    hist.put("bin_edges", Arrays.stream(histogram.edges()).boxed().toList());
    hist.put("negative_counts", Arrays.stream(histogram.negativeCounts()).boxed().toList());
    hist.put("positive_counts", Arrays.stream(histogram.positiveCounts()).boxed().toList());
    m.put("score_histogram", hist);
    return m;
  }

  private static Map<String, Object> point(String k1, double v1, String k2, double v2, String k3, double v3) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(k1, v1);
    p.put(k2, v2);
    p.put(k3, v3);
    return p;
  }

  /** A few aligned lines for the console: the train command and the demo print these. */
  public List<String> summaryLines() {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "Evaluated %,d rows: %,d fraud (%.2f%%), %,d legitimate",
        rows, positives, 100 * baseRate(), negatives()));
    lines.add(line("ROC-AUC", rocAuc, ""));
    lines.add(line("PR-AUC (avg precision)", prAuc, String.format(Locale.ROOT, "base rate %.4f", baseRate())));
    lines.add(line("Threshold", threshold(), String.format(Locale.ROOT,
        "%,d alerts (%.2f%% of rows), %,d true", alerts, 100 * alertRate(), trueAlerts)));
    lines.add(line("Precision @ threshold", precisionAtThreshold(), ""));
    lines.add(line("Recall @ threshold", recallAtThreshold(), ""));
    for (PrecisionAtK p : precisionAtK) {
      String name = p.key().endsWith("pct")
          ? "Precision @ top " + p.key().substring("precision_at_".length(), p.key().length() - 3) + "%"
          : "Precision @ top " + p.k();
      lines.add(line(name, p.precision(), String.format(Locale.ROOT, "k = %,d", p.k())));
    }
    return lines;
  }

  public String summary() {
    return String.join(System.lineSeparator(), summaryLines());
  }

  @Override
  public String toString() {
    return "EvaluationReport" + metrics();
  }

  private static String line(String name, double value, String note) {
    String base = String.format(Locale.ROOT, "  %-24s %.4f", name, value);
    return note.isEmpty() ? base : base + "   " + note;
  }
}
