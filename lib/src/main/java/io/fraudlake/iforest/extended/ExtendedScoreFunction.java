package io.fraudlake.iforest.extended;

import io.fraudlake.iforest.ForestPartitionScorer;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.api.java.UDF1;

/** The streaming path's scoring UDF: each task wraps the broadcast arrays once. */
final class ExtendedScoreFunction implements UDF1<Vector, Double> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<ExtendedForestArrays> forest;
  private final String featuresCol;
  private transient FlatExtendedForest scorer;

  ExtendedScoreFunction(Broadcast<ExtendedForestArrays> forest, String featuresCol) {
    this.forest = forest;
    this.featuresCol = featuresCol;
  }

  @Override
  public Double call(Vector features) {
    if (features == null) {
      return null;
    }
    if (scorer == null) {
      scorer = new FlatExtendedForest(forest.value());
    }
    String model = ExtendedIsolationForestModel.NAME;
    ForestPartitionScorer.checkSize(model, featuresCol, features.size(), scorer.numFeatures());
    double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
    for (int i = 0; i < values.length; i++) {
      ForestPartitionScorer.checkFinite(model, featuresCol, values[i], i);
    }
    return scorer.score(values);
  }
}
