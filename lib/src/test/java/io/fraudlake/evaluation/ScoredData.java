package io.fraudlake.evaluation;

import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Scored, labelled rows for evaluation tests, both as arrays (for the oracle) and as a DataFrame. */
final class ScoredData {
  static final StructType SCHEMA = new StructType()
      .add("fraud_score", DataTypes.DoubleType)
      .add("isFraud", DataTypes.IntegerType)
      .add("is_anomaly", DataTypes.BooleanType);

  final double[] scores;
  final int[] labels;
  final double threshold;

  ScoredData(double[] scores, int[] labels, double threshold) {
    this.scores = scores;
    this.labels = labels;
    this.threshold = threshold;
  }

  /**
   * Isolation-Forest-like scores: legitimate rows around 0.45, fraud around 0.6 with a wide
   * spread, rounded to 3 decimals so many scores tie across both labels.
   */
  static ScoredData realistic(int rows, double fraudRate, long seed, double threshold) {
    Random random = new Random(seed);
    double[] scores = new double[rows];
    int[] labels = new int[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = random.nextDouble() < fraudRate ? 1 : 0;
      double raw = labels[i] == 1 ? 0.60 + 0.10 * random.nextGaussian() : 0.45 + 0.05 * random.nextGaussian();
      scores[i] = Math.round(Math.min(1.0, Math.max(0.001, raw)) * 1000) / 1000.0;
    }
    return new ScoredData(scores, labels, threshold);
  }

  Dataset<Row> frame() {
    List<Row> rows = new ArrayList<>(scores.length);
    for (int i = 0; i < scores.length; i++) {
      rows.add(RowFactory.create(scores[i], labels[i], scores[i] >= threshold));
    }
    return SharedSpark.session().createDataFrame(rows, SCHEMA);
  }
}
