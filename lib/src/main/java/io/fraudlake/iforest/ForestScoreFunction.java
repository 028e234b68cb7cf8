package io.fraudlake.iforest;

import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.api.java.UDF1;

/**
 * The scoring UDF of a forest, standard or extended. It carries only the broadcast handle and how to
 * open it; each task wraps the broadcast arrays in the forest's flat scorer once and reads dense
 * vectors' values in place.
 *
 * @param <A> the forest's broadcast arrays
 */
public final class ForestScoreFunction<A> implements UDF1<Vector, Double> {
  private static final long serialVersionUID = 1L;

  /** One row's score; the flat forests have this shape. */
  public interface RowScorer {
    int numFeatures();

    double score(double[] row);
  }

  /** How a task turns the broadcast arrays into a scorer (a constructor reference, shipped with the UDF). */
  public interface Opener<A> extends Serializable {
    RowScorer open(A arrays);
  }

  private final String model;
  private final Broadcast<A> forest;
  private final Opener<A> opener;
  private final String featuresCol;
  private transient RowScorer scorer;

  public ForestScoreFunction(String model, Broadcast<A> forest, Opener<A> opener, String featuresCol) {
    this.model = model;
    this.forest = forest;
    this.opener = opener;
    this.featuresCol = featuresCol;
  }

  @Override
  public Double call(Vector features) {
    if (features == null) {
      return null;
    }
    if (scorer == null) {
      scorer = opener.open(forest.value());
    }
    ForestPartitionScorer.checkSize(model, featuresCol, features.size(), scorer.numFeatures());
    double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
    for (int i = 0; i < values.length; i++) {
      ForestPartitionScorer.checkFinite(model, featuresCol, values[i], i);
    }
    return scorer.score(values);
  }
}
