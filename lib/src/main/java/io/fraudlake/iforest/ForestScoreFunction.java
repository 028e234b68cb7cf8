package io.fraudlake.iforest;

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
  private static final String MODEL = "IsolationForestModel";

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
    ForestPartitionScorer.checkSize(MODEL, featuresCol, features.size(), scorer.numFeatures());
    double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
    for (int i = 0; i < values.length; i++) {
      ForestPartitionScorer.checkFinite(MODEL, featuresCol, values[i], i);
    }
    return scorer.score(values);
  }
}
