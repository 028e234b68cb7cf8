package io.fraudlake.autoencoder;

import io.fraudlake.FraudLakeException;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The scoring UDF, for batch and streaming plans alike. It carries the whole scorer: a few hundred
 * weights, smaller than a broadcast handle is worth. Dense vectors are read in place.
 */
final class ReconstructionScoreFunction implements UDF1<Vector, Double> {
  private static final long serialVersionUID = 1L;

  private final ReconstructionScorer scorer;
  private final String featuresCol;

  ReconstructionScoreFunction(ReconstructionScorer scorer, String featuresCol) {
    this.scorer = scorer;
    this.featuresCol = featuresCol;
  }

  @Override
  public Double call(Vector features) {
    if (features == null) {
      return null;
    }
    if (features.size() != scorer.numFeatures()) {
      throw new FraudLakeException("AutoencoderModel: column '" + featuresCol + "' has vectors of size "
          + features.size() + " but the model was trained on " + scorer.numFeatures() + " features");
    }
    double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new FraudLakeException("AutoencoderModel: column '" + featuresCol + "' contains " + values[i]
            + " at feature " + i + "; fill or drop NaN and infinite values before scoring");
      }
    }
    return scorer.score(values);
  }
}
