package io.fraudlake.iforest;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The params an {@link IsolationForest} and its {@link IsolationForestModel} share, so the estimator
 * hands its columns to the model it fits and both read them the same way (MLlib's Has*Col pattern).
 */
public interface IsolationForestParams extends Params {
  String DEFAULT_FEATURES_COL = "features";
  String DEFAULT_SCORE_COL = "fraud_score";
  String DEFAULT_PREDICTION_COL = "is_anomaly";

  /** Input: an ML Vector column. */
  Param<String> featuresCol();

  /** Output: the anomaly score s(x) in (0, 1]. */
  Param<String> scoreCol();

  /** Output: {@code score >= threshold}, boolean. */
  Param<String> predictionCol();

  default String getFeaturesCol() {
    return (String) getOrDefault(featuresCol());
  }

  default String getScoreCol() {
    return (String) getOrDefault(scoreCol());
  }

  default String getPredictionCol() {
    return (String) getOrDefault(predictionCol());
  }

  static Param<String> featuresColParam(Params owner) {
    return new Param<>(owner, "featuresCol", "features column (ML Vector)");
  }

  static Param<String> scoreColParam(Params owner) {
    return new Param<>(owner, "scoreCol", "output column for the anomaly score in (0, 1]");
  }

  static Param<String> predictionColParam(Params owner) {
    return new Param<>(owner, "predictionCol", "output column: score >= threshold (boolean)");
  }
}
