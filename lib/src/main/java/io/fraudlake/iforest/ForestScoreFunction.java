package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The scoring UDF. It carries only the broadcast handle; each task wraps the broadcast arrays in a
 * {@link FlatForest} once and reads dense vectors' values in place.
 */
final class ForestScoreFunction implements UDF1<Vector, Double> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<ForestArrays> forest;
  private final String featuresCol;
  private transient FlatForest scorer;

  ForestScoreFunction(Broadcast<ForestArrays> forest, String featuresCol) {
    this.forest = forest;
    this.featuresCol = featuresCol;
  }

  @Override
  public Double call(Vector features) {
    if (features == null) {
      return null;
    }
    if (scorer == null) {
      scorer = new FlatForest(forest.value());
    }
    checkSize(featuresCol, features.size(), scorer.numFeatures());
    double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
    for (int i = 0; i < values.length; i++) {
      checkFinite(featuresCol, values[i], i);
    }
    return scorer.score(values);
  }

  /** The scoring paths' one error for a vector of the wrong size. */
  static void checkSize(String featuresCol, int size, int expected) {
    if (size != expected) {
      throw new FraudLakeException("IsolationForestModel: column '" + featuresCol + "' has vectors of size "
          + size + " but the model was trained on " + expected + " features");
    }
  }

  /** The scoring paths' one error for NaN or an infinity; returns the value when it is finite. */
  static double checkFinite(String featuresCol, double value, int feature) {
    if (!Double.isFinite(value)) {
      throw new FraudLakeException("IsolationForestModel: column '" + featuresCol + "' contains " + value
          + " at feature " + feature + "; fill or drop NaN and infinite values before scoring");
    }
    return value;
  }
}
