package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IsolationForestTest {
  private static SparkSession spark;
  private static Dataset<Row> blobs;

  @BeforeAll
  static void data() {
    spark = SharedSpark.session();
    blobs = vectors(gaussianRows(4000, 3, 11), 3).cache();
  }

  private static List<double[]> gaussianRows(int count, int width, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      double[] row = new double[width];
      for (int f = 0; f < width; f++) {
        row[f] = random.nextGaussian() + (i % 50 == 0 ? 6 : 0);
      }
      rows.add(row);
    }
    return rows;
  }

  private static Dataset<Row> vectors(List<double[]> rows, int partitions) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      out.add(RowFactory.create(i, Vectors.dense(rows.get(i))));
    }
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("features", new VectorUDT());
    // parallelize keeps the row order and cuts it into contiguous slices.
    return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(out, partitions), schema);
  }

  private static double[] scoresById(IsolationForestModel model, Dataset<Row> data) {
    List<Row> rows = model.transform(data).orderBy("id").select("fraud_score").collectAsList();
    double[] scores = new double[rows.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = rows.get(i).getDouble(0);
    }
    return scores;
  }

  @Test
  void defaultsFollowTheContract() {
    IsolationForest forest = new IsolationForest();
    assertEquals(200, forest.getNumTrees());
    assertEquals(256, forest.getMaxSamples());
    assertEquals(1.0, forest.getMaxFeatures());
    assertEquals(0.035, forest.getContamination());
    assertEquals(false, forest.getBootstrap());
    assertEquals(42L, forest.getSeed());
    assertEquals("features", forest.getFeaturesCol());
    assertEquals("fraud_score", forest.getScoreCol());
    assertEquals("is_anomaly", forest.getPredictionCol());
    assertEquals(false, forest.hasThreshold());
  }

  @Test
  void onDataLargerThanTheThresholdSampleTheSampledThresholdStillFlagsTheContaminationFraction() {
    long rows = IsolationForest.THRESHOLD_SAMPLE_ROWS + 100_000;
    // Generated on the executors: 300k vectors built on the driver would make the test slow.
    Dataset<Row> large = spark.range(rows).selectExpr(
        "id", "array(randn(1), randn(2) + CASE WHEN id % 40 = 0 THEN 5 ELSE 0 END) AS values")
        .selectExpr("id", "values")
        .map((org.apache.spark.api.java.function.MapFunction<Row, Row>) r -> RowFactory.create(r.getLong(0),
            Vectors.dense(r.getList(1).stream().mapToDouble(v -> (Double) v).toArray())),
            org.apache.spark.sql.Encoders.row(new StructType().add("id", DataTypes.LongType).add("features", new VectorUDT())))
        .cache();

    IsolationForestModel model = new IsolationForest().setNumTrees(20).setContamination(0.05).fit(large);

    double flagged = model.transform(large).filter("is_anomaly").count() / (double) rows;
    assertEquals(0.05, flagged, 0.002, "the threshold comes from a sample, the fraction holds on all rows");
    large.unpersist();
  }

  @Test
  void scoresAreTheScorersAndTheThresholdFlagsTheContaminationFraction() {
    IsolationForestModel model = new IsolationForest().setNumTrees(50).setContamination(0.1).fit(blobs);
    assertEquals(50, model.numTrees());
    assertEquals(3, model.numFeatures());
    assertEquals(256, model.sampleSize());
    for (IsolationTree tree : model.trees()) {
      assertTrue(tree.height() <= 8);
    }
    Dataset<Row> scored = model.transform(blobs);
    assertEquals(DataTypes.BooleanType, scored.schema().apply("is_anomaly").dataType());
    double flagged = scored.filter("is_anomaly").count() / 4000.0;
    assertEquals(0.1, flagged, 0.002);
    Row first = scored.orderBy("id").first();
    double[] x = ((org.apache.spark.ml.linalg.Vector) first.getAs("features")).toArray();
    assertEquals(model.scorer().score(x), first.<Double>getAs("fraud_score"), 0.0);
    double outlierScore = scored.filter("id % 50 = 0").agg(org.apache.spark.sql.functions.avg("fraud_score"))
        .first().getDouble(0);
    double normalScore = scored.filter("id % 50 != 0").agg(org.apache.spark.sql.functions.avg("fraud_score"))
        .first().getDouble(0);
    assertTrue(outlierScore > normalScore + 0.1, outlierScore + " vs " + normalScore);
  }

  @Test
  void sameSeedGivesTheSameForestWhateverThePartitioning() {
    List<double[]> rows = gaussianRows(3000, 4, 5);
    IsolationForest estimator = new IsolationForest().setNumTrees(20).setSeed(9).setThreshold(0.6);
    Dataset<Row> onePartition = vectors(rows, 1).cache();
    double[] reference = scoresById(estimator.fit(onePartition), onePartition);
    assertArrayEquals(reference, scoresById(estimator.fit(onePartition), onePartition), 0.0);
    for (int partitions : new int[] {3, 7}) {
      Dataset<Row> split = vectors(rows, partitions);
      assertEquals(partitions, split.javaRDD().getNumPartitions());
      assertArrayEquals(reference, scoresById(estimator.fit(split), onePartition), 0.0);
    }
    IsolationForestModel otherSeed = estimator.copy(ParamMap.empty()).setSeed(10).fit(onePartition);
    assertTrue(scoresById(otherSeed, onePartition)[0] != reference[0]);
    assertEquals(0.6, otherSeed.threshold());
  }
}
