package io.fraudlake.evaluation;

import io.fraudlake.FraudLakeException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What {@link EvaluationReport#compute} reads and how much detail it keeps. Immutable: every
 * {@code with...} method returns a copy. Defaults follow the gold table's column names
 * ({@code fraud_score}, {@code is_anomaly}) and the raw label {@code isFraud}.
 */
public final class EvaluationOptions {
  public static final String DEFAULT_SCORE_COLUMN = "fraud_score";
  public static final String DEFAULT_LABEL_COLUMN = "isFraud";
  public static final String DEFAULT_PREDICTION_COLUMN = "is_anomaly";

  private final double threshold;
  private final String scoreColumn;
  private final String labelColumn;
  private final String predictionColumn;
  private final List<Integer> topK;
  private final List<Double> topFractions;
  private final int histogramBins;
  private final int maxCurvePoints;

  private EvaluationOptions(double threshold, String scoreColumn, String labelColumn, String predictionColumn,
      List<Integer> topK, List<Double> topFractions, int histogramBins, int maxCurvePoints) {
    this.threshold = threshold;
    this.scoreColumn = scoreColumn;
    this.labelColumn = labelColumn;
    this.predictionColumn = predictionColumn;
    this.topK = topK;
    this.topFractions = topFractions;
    this.histogramBins = histogramBins;
    this.maxCurvePoints = maxCurvePoints;
  }

  /**
   * Defaults for a model whose alerts are {@code score >= threshold}: precision at the top 100
   * rows and the top 1%, 50 histogram bins, at most about 1,000 curve points.
   */
  public static EvaluationOptions withThreshold(double threshold) {
    if (!Double.isFinite(threshold)) {
      throw new FraudLakeException("The model threshold must be a finite number, not " + threshold);
    }
    return new EvaluationOptions(threshold, DEFAULT_SCORE_COLUMN, DEFAULT_LABEL_COLUMN, DEFAULT_PREDICTION_COLUMN,
        List.of(100), List.of(0.01), 50, 1000);
  }

  public EvaluationOptions withColumns(String score, String label, String prediction) {
    return new EvaluationOptions(threshold, requireName(score, "score"), requireName(label, "label"),
        requireName(prediction, "prediction"), topK, topFractions, histogramBins, maxCurvePoints);
  }

  /** Precision among the k highest-scored rows, for each k (metric key {@code precision_at_<k>}). */
  public EvaluationOptions withTopK(int... ks) {
    for (int k : ks) {
      if (k < 1) {
        throw new FraudLakeException("Precision at the top k needs k >= 1, not " + k);
      }
    }
    return new EvaluationOptions(threshold, scoreColumn, labelColumn, predictionColumn,
        Arrays.stream(ks).boxed().toList(), topFractions, histogramBins, maxCurvePoints);
  }

  /**
   * Precision among the top fraction of rows (k = ceil(fraction × rows)), for each fraction in
   * (0, 1] (metric key {@code precision_at_<percent>pct}, e.g. 0.01 gives {@code precision_at_1pct}).
   */
  public EvaluationOptions withTopFractions(double... fractions) {
    for (double f : fractions) {
      if (!(f > 0 && f <= 1)) {
        throw new FraudLakeException("A top fraction must be in (0, 1], not " + f);
      }
    }
    return new EvaluationOptions(threshold, scoreColumn, labelColumn, predictionColumn, topK,
        Arrays.stream(fractions).boxed().toList(), histogramBins, maxCurvePoints);
  }

  public EvaluationOptions withHistogramBins(int bins) {
    if (bins < 1 || bins > 1000) {
      throw new FraudLakeException("The score histogram needs between 1 and 1000 bins, not " + bins);
    }
    return new EvaluationOptions(threshold, scoreColumn, labelColumn, predictionColumn, topK, topFractions, bins,
        maxCurvePoints);
  }

  /** Upper bound (plus the first point) on the ROC/PR points kept for plots; metrics never use the cut-down curve. */
  public EvaluationOptions withMaxCurvePoints(int points) {
    if (points < 4) {
      throw new FraudLakeException("Curves need at least 4 points, not " + points);
    }
    return new EvaluationOptions(threshold, scoreColumn, labelColumn, predictionColumn, topK, topFractions,
        histogramBins, points);
  }

  public double threshold() {
    return threshold;
  }

  public String scoreColumn() {
    return scoreColumn;
  }

  public String labelColumn() {
    return labelColumn;
  }

  public String predictionColumn() {
    return predictionColumn;
  }

  public List<Integer> topK() {
    return topK;
  }

  public List<Double> topFractions() {
    return topFractions;
  }

  public int histogramBins() {
    return histogramBins;
  }

  public int maxCurvePoints() {
    return maxCurvePoints;
  }

  private static String requireName(String name, String role) {
    if (name == null || name.isBlank()) {
      throw new FraudLakeException("The " + role + " column name must not be empty");
    }
    return Objects.requireNonNull(name);
  }
}
