package io.fraudlake.monitoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.FeatureReference;
import io.fraudlake.training.SilverFixture;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FeatureDriftTest {
  private static SparkSession spark;
  private static FeatureReference reference;

  @BeforeAll
  static void trainingData() {
    spark = SharedSpark.session();
    reference = FeatureReference.compute(SilverFixture.rows(spark, 20_000, 0.035, 1), ModelFeatures.NAMES, 10);
  }

  private static Map<String, Double> psiByFeature(Dataset<Row> batch) {
    return new FeatureDrift(reference.features()).measure(batch).stream()
        .collect(Collectors.toMap(FeatureDrift.FeatureShift::feature, FeatureDrift.FeatureShift::psi, (a, b) -> a, TreeMap::new));
  }

  @Test
  void psiOfATinyBatchIsWhatTheFormulaGivesByHand() {
    FeatureReference.Feature x = new FeatureReference.Feature("x", new double[] {10, 20}, new double[] {0.5, 0.3, 0.2}, 0, 50, 12);
    FeatureReference.Feature flag = new FeatureReference.Feature("flag", new double[] {0.5}, new double[] {0.9, 0.1}, 0, 1, 0.1);
    StructType schema = new StructType().add("x", DataTypes.DoubleType).add("flag", DataTypes.IntegerType);
    // x: 1, 5 below 10 (bin 0); 10 (on the edge: the upper bin), 15, 19.9 in bin 1; 20 (on the edge), 25, 30, 40, 100 in bin 2.
    double[] xs = {1, 5, 10, 15, 19.9, 20, 25, 30, 40, 100};
    List<Row> rows = java.util.Arrays.stream(xs).mapToObj(v -> RowFactory.create(v, 0)).toList();
    Dataset<Row> batch = spark.createDataFrame(rows, schema).repartition(3);

    List<FeatureDrift.FeatureShift> shifts = new FeatureDrift(List.of(x, flag)).measure(batch);

    FeatureDrift.FeatureShift sx = shifts.get(0);
    assertEquals("x", sx.feature());
    assertEquals(10, sx.rows());
    assertArrayEquals(new long[] {2, 3, 5}, sx.binCounts());
    // Shares 0.2, 0.3, 0.5 against 0.5, 0.3, 0.2:
    // (0.2 - 0.5) ln(0.2/0.5) + 0 + (0.5 - 0.2) ln(0.5/0.2) = 0.6 ln 2.5 = 0.6 * 0.9162907 = 0.5497744
    assertEquals(0.5497744, sx.psi(), 1e-6);
    assertEquals(265.9 / 10, sx.batchMean(), 1e-9);
    assertEquals(12, sx.referenceMean());

    // flag is 0 on every row: shares 1, 0 against 0.9, 0.1; the empty bin counts as a share of 1e-4:
    // (1 - 0.9) ln(1/0.9) + (0.0001 - 0.1) ln(0.0001/0.1) = 0.1 * 0.1053605 + 0.0999 * 6.9077553 = 0.7006208
    FeatureDrift.FeatureShift sf = shifts.get(1);
    assertArrayEquals(new long[] {10, 0}, sf.binCounts());
    assertEquals(0.7006208, sf.psi(), 1e-6);
  }

  @Test
  void theTimedPassCountsEveryRowAndSpansTheEventTimesToTheMicrosecond() {
    FeatureReference.Feature x = new FeatureReference.Feature("x", new double[] {10}, new double[] {0.5, 0.5}, 0, 50, 12);
    StructType schema = new StructType().add("x", DataTypes.DoubleType).add("event_timestamp", DataTypes.TimestampType);
    java.sql.Timestamp earliest = java.sql.Timestamp.valueOf("2026-03-01 10:00:00.000001");
    java.sql.Timestamp latest = java.sql.Timestamp.valueOf("2026-03-01 10:04:59.999999");
    List<Row> rows = List.of(RowFactory.create(5.0, latest), RowFactory.create(null, earliest),
        RowFactory.create(15.0, null), RowFactory.create(12.0, java.sql.Timestamp.valueOf("2026-03-01 10:02:00")));
    Dataset<Row> batch = spark.createDataFrame(rows, schema).repartition(3);

    FeatureDrift.Measurement measured = new FeatureDrift(List.of(x)).measure(batch, "event_timestamp");

    assertEquals(4, measured.rows(), "every row, whether or not its feature or time is null");
    assertEquals(3, measured.shifts().get(0).rows(), "the rows with a value");
    assertArrayEquals(new long[] {1, 2}, measured.shifts().get(0).binCounts());
    assertEquals(earliest, measured.earliest());
    assertEquals(latest, measured.latest());

    FeatureDrift.Measurement empty = new FeatureDrift(List.of(x)).measure(batch.limit(0), "event_timestamp");
    assertEquals(0, empty.rows());
    assertEquals(null, empty.earliest());
    assertEquals(null, empty.latest());
  }

  @Test
  void binsAsTheReferenceDoes() {
    Dataset<Row> batch = SilverFixture.rows(spark, 2_000, 0.2, 5);
    List<FeatureDrift.FeatureShift> shifts = new FeatureDrift(reference.features()).measure(batch);
    List<Row> rows = batch.collectAsList();
    for (FeatureDrift.FeatureShift shift : shifts) {
      FeatureReference.Feature feature = reference.feature(shift.feature());
      long[] expected = new long[feature.bins()];
      for (Row row : rows) {
        expected[feature.binOf(((Number) row.getAs(shift.feature())).doubleValue())]++;
      }
      assertArrayEquals(expected, shift.binCounts(), shift.feature());
    }
  }

  @Test
  void aBatchFromTheTrainingDistributionIsStable() {
    Map<String, Double> psi = psiByFeature(SilverFixture.rows(spark, 5_000, 0.035, 2));

    assertEquals(Set.copyOf(ModelFeatures.NAMES), psi.keySet());
    // A sample of n rows from the training distribution itself has PSI of about (bins - 1) / n = 0.002.
    psi.forEach((feature, value) -> assertTrue(value < 0.02, feature + " PSI " + value));
  }

  @Test
  void amountsFiveTimesLargerDriftOnTheAmountFeaturesOnly() {
    Dataset<Row> shifted = SilverFixture.rows(spark, 5_000, 0.035, 3)
        .withColumn("TransactionAmt", col("TransactionAmt").multiply(5))
        .withColumn("log_transaction_amount", expr("ln(1 + TransactionAmt)"))
        .withColumn("avg_amount_5min", col("avg_amount_5min").multiply(5))
        .withColumn("stddev_amount_5min", col("stddev_amount_5min").multiply(5))
        .withColumn("is_high_value_txn", expr("CAST(TransactionAmt > 1000 AS INT)"));

    Map<String, Double> psi = psiByFeature(shifted);

    for (String amount : List.of("TransactionAmt", "log_transaction_amount", "avg_amount_5min")) {
      assertTrue(psi.get(amount) >= 0.2, amount + " drifted: " + psi);
    }
    for (String unrelated : List.of("is_international_txn", "txn_count_5min", "product_diversity_5min")) {
      assertTrue(psi.get(unrelated) < 0.02, unrelated + " did not: " + psi);
    }
  }
}
