package io.fraudlake.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class BinaryMetricsTest {
  private static final StructType SCHEMA =
      new StructType().add("score", DataTypes.DoubleType).add("label", DataTypes.IntegerType);

  private static Dataset<Row> frame(double[] scores, int[] labels, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      rows.add(RowFactory.create(scores[i], labels[i]));
    }
    return SharedSpark.session().createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  @Test
  void tiesCountHalfAndAveragePrecisionIsScikitLearns() {
    double[] scores = {0.9, 0.8, 0.8, 0.7, 0.5, 0.5};
    int[] labels = {1, 0, 1, 0, 1, 0};
    // Worked by hand: 6 of 9 positive-negative pairs ordered right (ties count 1/2);
    // AP = 1/3 (1 + 2/3 + 3/6) over the thresholds 0.9, 0.8, 0.7, 0.5.
    assertEquals(6.0 / 9, BinaryMetrics.areaUnderRoc(scores, labels), 1e-15);
    assertEquals((1 + 2.0 / 3 + 0.5) / 3, BinaryMetrics.averagePrecision(scores, labels), 1e-15);
    Dataset<Row> df = frame(scores, labels, 3);
    assertEquals(6.0 / 9, BinaryMetrics.areaUnderRoc(df, "score", "label"), 1e-15);
    assertEquals((1 + 2.0 / 3 + 0.5) / 3, BinaryMetrics.averagePrecision(df, "score", "label"), 1e-15);
  }

  @Test
  void perfectAndReversedRankings() {
    double[] scores = {4, 3, 2, 1};
    assertEquals(1.0, BinaryMetrics.areaUnderRoc(scores, new int[] {1, 1, 0, 0}));
    assertEquals(1.0, BinaryMetrics.averagePrecision(scores, new int[] {1, 1, 0, 0}));
    assertEquals(0.0, BinaryMetrics.areaUnderRoc(scores, new int[] {0, 0, 1, 1}));
    assertEquals(0.5, BinaryMetrics.areaUnderRoc(new double[] {1, 1, 1, 1}, new int[] {0, 1, 0, 1}));
  }

  @Test
  void sparkAndArrayVersionsAgreeOnManyTiedScores() {
    SplittableRandom random = new SplittableRandom(4);
    int n = 5000;
    double[] scores = new double[n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = random.nextDouble() < 0.1 ? 1 : 0;
      scores[i] = Math.round((random.nextGaussian() + labels[i]) * 20) / 20.0;
    }
    BinaryMetrics.Summary local = BinaryMetrics.summarize(scores, labels);
    BinaryMetrics.Summary spark = BinaryMetrics.summarize(frame(scores, labels, 4), "score", "label");
    assertEquals(local.areaUnderRoc(), spark.areaUnderRoc(), 1e-12);
    assertEquals(local.averagePrecision(), spark.averagePrecision(), 1e-12);
    assertEquals(local.positives(), spark.positives());
    assertTrue(local.areaUnderRoc() > 0.7);
  }

  @Test
  void badLabelsAndSingleClassesAreErrors() {
    FraudLakeException twoValued = assertThrows(FraudLakeException.class,
        () -> BinaryMetrics.areaUnderRoc(frame(new double[] {1, 2}, new int[] {0, 2}, 1), "score", "label"));
    assertTrue(twoValued.getMessage().contains("only 0 and 1"), twoValued.getMessage());
    FraudLakeException oneClass = assertThrows(FraudLakeException.class,
        () -> BinaryMetrics.areaUnderRoc(frame(new double[] {1, 2}, new int[] {0, 0}, 1), "score", "label"));
    assertTrue(oneClass.getMessage().contains("both classes"), oneClass.getMessage());
    FraudLakeException missing = assertThrows(FraudLakeException.class,
        () -> BinaryMetrics.areaUnderRoc(frame(new double[] {1}, new int[] {0}, 1), "nope", "label"));
    assertTrue(missing.getMessage().contains("'nope' not found"), missing.getMessage());
  }
}
