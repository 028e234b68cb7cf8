package io.fraudlake.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.silver.FeatureValues;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.Detectors;
import io.fraudlake.training.ModelTrainer;
import io.fraudlake.training.TrainingSettings;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every detector {@code train} can fit scores a row online exactly as Spark's transform scores it in gold. */
class OnlineScorerTest {
  static List<String> algorithms() {
    return Detectors.ALGORITHMS;
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void scoresEveryRowAsTheSparkPipelineDoes(String algorithm) {
    SparkSession spark = SharedSpark.session();
    TrainingSettings settings = TrainingSettings.fromConfig(SharedSpark.freshConfig(Map.of("model.trees", "40")))
        .withAlgorithm(algorithm);
    Dataset<Row> rows = spark.createDataFrame(ScoringFixtures.silverRows("online", 0, 400, ScoringFixtures.start(), 5),
        ScoringFixtures.SILVER);
    PipelineModel model = ModelTrainer.fit(settings, rows);
    OnlineScorer online = OnlineScorer.of(new ScoringModel("m", "1", model, ModelFeatures.SCHEMA, "test"));

    List<Row> scored = model.transform(rows).collectAsList();
    double[] scratch = new double[8];
    int anomalies = 0;
    for (Row row : scored) {
      FeatureValues features = new FeatureValues(row.getAs("TransactionAmt"), row.getAs("log_transaction_amount"),
          row.<Integer>getAs("is_high_value_txn"), row.<Integer>getAs("is_international_txn"),
          row.<Long>getAs("txn_count_5min"), row.getAs("avg_amount_5min"), row.getAs("stddev_amount_5min"),
          row.<Long>getAs("product_diversity_5min"));
      double score = online.score(features, scratch);
      assertEquals(row.<Double>getAs("fraud_score"), score, 1e-12, algorithm);
      assertEquals(row.<Boolean>getAs("is_anomaly"), online.isAnomaly(score), algorithm);
      anomalies += online.isAnomaly(score) ? 1 : 0;
    }
    assertTrue(anomalies > 0 && anomalies < scored.size(), algorithm + " flags some rows, not all: " + anomalies);
  }
}
