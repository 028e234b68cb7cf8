package io.fraudlake.iforest.extended;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.evaluation.BinaryMetrics;
import io.fraudlake.iforest.OddsData;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Accuracy against LinkedIn's published fully extended isolation forest results on two ODDS data
 * sets (100 trees, ψ = 256): the mean AUROC over ten seeds must be within 0.01 of them.
 */
class ExtendedOddsAccuracyTest {
  private static final int SEEDS = 10;

  @ParameterizedTest
  @CsvSource({"mammography, 0.8630", "shuttle, 0.9934"})
  void meanAurocOfTheFullyExtendedForestMatchesThePublishedResult(String dataSet, double published) {
    Dataset<Row> data = OddsData.load(dataSet);
    List<Row> collected = data.select("features", "label").collectAsList();
    double[][] rows = new double[collected.size()][];
    int[] labels = new int[collected.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = ((Vector) collected.get(i).get(0)).toArray();
      labels[i] = collected.get(i).getInt(1);
    }
    double aurocSum = 0;
    double averagePrecisionSum = 0;
    double[] scores = new double[rows.length];
    for (int seed = 1; seed <= SEEDS; seed++) {
      // An explicit threshold skips the quantile pass, which AUROC does not need.
      ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(100).setMaxSamples(256)
          .setSeed(seed).setThreshold(0.5).fit(data);
      assertEquals(rows[0].length - 1, model.extensionLevel(), "fully extended by default");
      // The plain-Java bulk scorer is the arithmetic transform runs (ExtendedIsolationForestTest checks they agree).
      model.scorer().score(rows, scores);
      BinaryMetrics.Summary metrics = BinaryMetrics.summarize(scores, labels);
      System.out.printf("EIF %s seed %d: AUROC %.4f, AUPRC %.4f%n", dataSet, seed, metrics.areaUnderRoc(),
          metrics.averagePrecision());
      aurocSum += metrics.areaUnderRoc();
      averagePrecisionSum += metrics.averagePrecision();
    }
    System.out.printf("EIF %s mean of %d seeds: AUROC %.4f (published %.4f), AUPRC %.4f%n", dataSet, SEEDS,
        aurocSum / SEEDS, published, averagePrecisionSum / SEEDS);
    assertEquals(published, aurocSum / SEEDS, 0.01);
    data.unpersist();
  }
}
