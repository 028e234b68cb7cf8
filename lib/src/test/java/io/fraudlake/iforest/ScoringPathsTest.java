package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model scores batch datasets in blocks per partition and streaming ones row by row; both must
 * give every row exactly the plain-Java scorer's score, whatever the block boundaries, vector kind
 * or missing vectors.
 */
class ScoringPathsTest {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.IntegerType)
      .add("note", DataTypes.StringType)
      .add("features", new VectorUDT());
  private static SparkSession spark;
  private static IsolationForestModel model;

  @BeforeAll
  static void fit() {
    spark = SharedSpark.session();
    model = new IsolationForest().setNumTrees(30).setContamination(0.1).setSeed(3)
        .fit(dataset(rows(2000, 1, 0), 2));
  }

  /** Four features, every 25th row far out; every {@code nullEvery}-th vector missing, some sparse. */
  private static List<Row> rows(int count, long seed, int nullEvery) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      double[] x = new double[4];
      for (int f = 0; f < x.length; f++) {
        x[f] = random.nextGaussian() + (i % 25 == 0 ? 5 : 0);
      }
      if (i % 7 == 0) {
        x[1] = 0.0;
        x[3] = 0.0;
      }
      Vector v = nullEvery > 0 && i % nullEvery == 0 ? null
          : i % 7 == 0 ? Vectors.dense(x).toSparse() : Vectors.dense(x);
      rows.add(RowFactory.create(i, "row " + "x".repeat(i % 13), v));
    }
    return rows;
  }

  private static Dataset<Row> dataset(List<Row> rows, int partitions) {
    return spark.createDataFrame(new JavaSparkContext(spark.sparkContext()).parallelize(rows, partitions), SCHEMA);
  }

  private static void assertScoredLikeThePlainScorer(List<Row> input, List<Row> scored) {
    assertEquals(input.size(), scored.size());
    Map<Integer, Row> byId = new HashMap<>();
    scored.forEach(r -> byId.put(r.getInt(0), r));
    int withVector = 0;
    for (Row in : input) {
      Row out = byId.get(in.getInt(0));
      assertEquals(in.getString(1), out.getString(1), "the other columns pass through");
      assertEquals(in.get(2), out.get(2));
      if (in.isNullAt(2)) {
        assertNull(out.get(3), "no vector, no score");
        assertNull(out.get(4));
        continue;
      }
      withVector++;
      double expected = model.scorer().score(((Vector) in.get(2)).toArray());
      assertEquals(expected, out.getDouble(3), 0.0, "row " + in.getInt(0));
      assertEquals(expected >= model.threshold(), out.getBoolean(4));
    }
    assertTrue(withVector > input.size() / 2);
  }

  @Test
  void batchScoresEveryRowAsThePlainScorerAcrossBlockBoundariesNullsAndSparseVectors() {
    // 1,000 rows in 3 partitions: blocks of 64 end mid-partition, and the last block of each is short.
    List<Row> input = rows(1000, 7, 17);
    Dataset<Row> scored = model.transform(dataset(input, 3));
    assertEquals(List.of("id", "note", "features", "fraud_score", "is_anomaly"), List.of(scored.columns()));
    assertScoredLikeThePlainScorer(input, scored.collectAsList());
    // Downstream operators (filters, aggregates) see the same rows.
    long flagged = input.stream().filter(r -> !r.isNullAt(2)
        && model.scorer().score(((Vector) r.get(2)).toArray()) >= model.threshold()).count();
    assertEquals(flagged, scored.filter("is_anomaly").count());
  }

  @Test
  void aStreamingDatasetIsScoredRowByRowWithTheSameScores(@TempDir Path dir) throws Exception {
    List<Row> input = rows(300, 11, 0);
    dataset(input, 2).write().parquet(dir.resolve("in").toString());
    Dataset<Row> stream = spark.readStream().schema(SCHEMA).parquet(dir.resolve("in").toString());
    Dataset<Row> scored = model.transform(stream);
    assertTrue(scored.isStreaming());
    List<Row> collected = new ArrayList<>();
    StreamingQuery query = scored.writeStream()
        .option("checkpointLocation", dir.resolve("checkpoint").toString())
        .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (batch, id) -> collected.addAll(batch.collectAsList()))
        .start();
    try {
      query.processAllAvailable();
    } finally {
      query.stop();
    }
    assertScoredLikeThePlainScorer(input, collected);
  }

  @Test
  void aNonFiniteFeatureAtScoringTimeIsNamed(@TempDir Path dir) {
    List<Row> input = new ArrayList<>(rows(100, 5, 0));
    input.set(70, RowFactory.create(70, "bad", Vectors.dense(1, 2, Double.POSITIVE_INFINITY, 4)));
    Exception error = assertThrows(Exception.class, () -> model.transform(dataset(input, 2)).count());
    String message = rootMessage(error);
    assertTrue(message.contains("column 'features' contains Infinity at feature 2"), message);
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
