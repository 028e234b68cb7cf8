package io.fraudlake.iforest.extended;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExtendedIsolationForestTest {
  private static final int WIDTH = 4;
  private static Dataset<Row> data;
  private static double[][] rows;

  /** A Gaussian cloud of 3,000 rows with 2% far-off points, ids in order. */
  @BeforeAll
  static void data() {
    Random random = new Random(17);
    List<Row> out = new ArrayList<>();
    rows = new double[3_000][WIDTH];
    for (int i = 0; i < rows.length; i++) {
      boolean odd = i % 50 == 0;
      for (int f = 0; f < WIDTH; f++) {
        rows[i][f] = odd ? 6 + random.nextGaussian() : random.nextGaussian();
      }
      out.add(RowFactory.create(i, Vectors.dense(rows[i])));
    }
    StructType schema = new StructType().add("id", "int").add("features", new VectorUDT());
    data = SharedSpark.session().createDataFrame(out, schema).repartition(3).sortWithinPartitions("id").cache();
    data.count();
  }

  private static double[] transformScores(ExtendedIsolationForestModel model, Dataset<Row> input) {
    return model.transform(input).orderBy("id").select("fraud_score").collectAsList().stream()
        .mapToDouble(r -> r.getDouble(0)).toArray();
  }

  @Test
  void badParamsFailWithOneLineNamingTheValue() {
    ExtendedIsolationForest forest = new ExtendedIsolationForest();
    assertEquals("ExtendedIsolationForest: numTrees must be at least 1, got 0",
        assertThrows(FraudLakeException.class, () -> forest.setNumTrees(0)).getMessage());
    assertEquals("ExtendedIsolationForest: maxSamples must be at least 2, got 1",
        assertThrows(FraudLakeException.class, () -> forest.setMaxSamples(1)).getMessage());
    assertEquals("ExtendedIsolationForest: contamination must be in (0, 0.5], got 0.7",
        assertThrows(FraudLakeException.class, () -> forest.setContamination(0.7)).getMessage());
    assertEquals("ExtendedIsolationForest: extensionLevel must be in 0..d-1 (d features), got -1",
        assertThrows(FraudLakeException.class, () -> forest.setExtensionLevel(-1)).getMessage());
    assertEquals("ExtendedIsolationForest: threshold must be a finite number, got NaN",
        assertThrows(FraudLakeException.class, () -> forest.setThreshold(Double.NaN)).getMessage());
    // Set around the setter (as a ParamMap or a loaded estimator would), fit still refuses it.
    forest.set(forest.numTrees(), -3);
    assertEquals("ExtendedIsolationForest: numTrees must be at least 1, got -3",
        assertThrows(FraudLakeException.class, () -> forest.fit(data)).getMessage());
    String tooHigh = assertThrows(FraudLakeException.class,
        () -> new ExtendedIsolationForest().setExtensionLevel(WIDTH).fit(data)).getMessage();
    assertEquals("ExtendedIsolationForest: extensionLevel must be in 0..3 for 4 features, got 4", tooHigh);
    assertFalse(tooHigh.contains("\n"));
    assertTrue(assertThrows(FraudLakeException.class,
        () -> new ExtendedIsolationForest().setFeaturesCol("nope").fit(data)).getMessage()
        .startsWith("ExtendedIsolationForest: features column 'nope' not found"));
  }

  @Test
  void extensionLevelZeroSplitsOnOneCoordinateAndTheDefaultOnAll() {
    ExtendedIsolationForestModel axisAligned = new ExtendedIsolationForest().setNumTrees(20).setExtensionLevel(0)
        .setThreshold(0.5).fit(data);
    ExtendedIsolationForestModel full = new ExtendedIsolationForest().setNumTrees(20).setThreshold(0.5).fit(data);
    ExtendedIsolationForestModel middle = new ExtendedIsolationForest().setNumTrees(20).setExtensionLevel(2)
        .setThreshold(0.5).fit(data);
    assertEquals(0, axisAligned.extensionLevel());
    assertEquals(WIDTH - 1, full.extensionLevel());
    assertEquals(1, nonZeroCoordinatesOfEverySplit(axisAligned));
    assertEquals(WIDTH, nonZeroCoordinatesOfEverySplit(full));
    assertEquals(3, nonZeroCoordinatesOfEverySplit(middle));
  }

  /** The one number of non-zero normal coordinates all splits of the forest share (fails if they differ). */
  private static int nonZeroCoordinatesOfEverySplit(ExtendedIsolationForestModel model) {
    int seen = -1;
    int splits = 0;
    for (int t = 0; t < model.numTrees(); t++) {
      ExtendedIsolationTree tree = model.tree(t);
      for (int n = 0; n < tree.nodeCount(); n++) {
        if (tree.isLeaf(n)) {
          continue;
        }
        int nonZero = 0;
        for (int f = 0; f < WIDTH; f++) {
          nonZero += tree.normal(n, f) != 0.0 ? 1 : 0;
        }
        if (seen >= 0) {
          assertEquals(seen, nonZero, "node " + n + " of tree " + t);
        }
        seen = nonZero;
        splits++;
      }
    }
    assertTrue(splits > model.numTrees(), "the trees split");
    return seen;
  }

  @Test
  void sameSeedSameForestWhateverThePartitioningAndScoresAgreeOnEveryPath() {
    ExtendedIsolationForest forest = new ExtendedIsolationForest().setNumTrees(40).setMaxSamples(128).setSeed(9)
        .setContamination(0.02);
    ExtendedIsolationForestModel first = forest.fit(data);
    ExtendedIsolationForestModel again = forest.fit(data.coalesce(1));
    double[] scores = transformScores(first, data);
    assertArrayEquals(scores, transformScores(again, data), 0.0);
    assertEquals(first.threshold(), again.threshold(), 0.0);
    double[] otherSeed = transformScores(forest.copy(new org.apache.spark.ml.param.ParamMap()).setSeed(10).fit(data), data);
    assertFalse(java.util.Arrays.equals(scores, otherSeed), "another seed grows another forest");

    double[] bulk = new double[rows.length];
    first.scorer().score(rows, bulk);
    for (int i = 0; i < rows.length; i++) {
      assertEquals(scores[i], first.scoreRow(rows[i]), 0.0, "row " + i);
      assertEquals(scores[i], bulk[i], 0.0, "row " + i);
      assertTrue(scores[i] > 0 && scores[i] <= 1, "score in (0, 1]");
    }
    // The far-off points score highest, and the contamination threshold flags about 2% of rows.
    long flagged = first.transform(data).filter("is_anomaly").count();
    assertEquals(0.02 * rows.length, flagged, 0.005 * rows.length);
    double oddMean = 0;
    double normalMean = 0;
    for (int i = 0; i < rows.length; i++) {
      if (i % 50 == 0) {
        oddMean += scores[i] / 60;
      } else {
        normalMean += scores[i] / (rows.length - 60);
      }
    }
    assertTrue(oddMean > normalMean + 0.15, "anomalies " + oddMean + " vs normal " + normalMean);
  }

  @Test
  void aStreamScoresAsABatch() throws Exception {
    ExtendedIsolationForestModel model = new ExtendedIsolationForest().setNumTrees(15).setThreshold(0.55).fit(data);
    String dir = SharedSpark.tempDir("eif-stream").resolve("in").toString();
    data.write().parquet(dir);
    Dataset<Row> stream = SharedSpark.session().readStream().schema(data.schema()).parquet(dir);
    var query = model.transform(stream).writeStream().format("memory").queryName("eif_stream_scores")
        .trigger(org.apache.spark.sql.streaming.Trigger.AvailableNow()).start();
    query.awaitTermination();
    double[] streamed = SharedSpark.session().table("eif_stream_scores").orderBy("id").select("fraud_score")
        .collectAsList().stream().mapToDouble(r -> r.getDouble(0)).toArray();
    assertArrayEquals(transformScores(model, data), streamed, 0.0);
  }
}
