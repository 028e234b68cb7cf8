package io.fraudlake.detection;

/**
 * A fitted anomaly detector, whatever its algorithm: the last stage of a FraudLake pipeline, which
 * adds {@code fraud_score} (in (0, 1], higher is more suspicious) and {@code is_anomaly}
 * ({@code fraud_score >= threshold}). Training reads its threshold; {@code serve} scores single rows
 * through {@link #scoreRow} without Spark, with the same arithmetic as the model's {@code transform}.
 */
public interface AnomalyModel {
  /** The score at or above which a row is an anomaly. */
  double threshold();

  /** How many features a row has (the width of the vector the model reads). */
  int numFeatures();

  /** The {@code fraud_score} of one row of the model's input vector. Thread-safe; allocates nothing. */
  double scoreRow(double[] row);
}
