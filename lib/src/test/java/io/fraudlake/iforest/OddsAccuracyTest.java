package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.evaluation.BinaryMetrics;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Accuracy against the published Isolation Forest results on two ODDS data sets (100 trees, ψ = 256):
 * the mean AUROC over five seeds must be within 0.01 of them.
 */
class OddsAccuracyTest {
  private static final int SEEDS = 5;

  @ParameterizedTest
  @CsvSource({"mammography, 0.8649", "shuttle, 0.9971"})
  void meanAurocMatchesThePublishedResult(String dataSet, double published) {
    Dataset<Row> data = OddsData.load(dataSet);
    double aurocSum = 0;
    double averagePrecisionSum = 0;
    for (int seed = 1; seed <= SEEDS; seed++) {
      // An explicit threshold skips the quantile pass, which AUROC does not need.
      IsolationForestModel model = new IsolationForest().setNumTrees(100).setMaxSamples(256).setSeed(seed)
          .setThreshold(0.5).fit(data);
      BinaryMetrics.Summary metrics = BinaryMetrics.summarize(model.transform(data), "fraud_score", "label");
      System.out.printf("%s seed %d: AUROC %.4f, AUPRC %.4f%n", dataSet, seed, metrics.areaUnderRoc(),
          metrics.averagePrecision());
      aurocSum += metrics.areaUnderRoc();
      averagePrecisionSum += metrics.averagePrecision();
    }
    System.out.printf("%s mean of %d seeds: AUROC %.4f (published %.4f), AUPRC %.4f%n", dataSet, SEEDS,
        aurocSum / SEEDS, published, averagePrecisionSum / SEEDS);
    assertEquals(published, aurocSum / SEEDS, 0.01);
    data.unpersist();
  }
}
