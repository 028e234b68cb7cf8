package io.fraudlake.iforest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.sum;

import io.fraudlake.testing.SharedSpark;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Training and scoring speed on 1M synthetic rows of 8 features; off by default. Run with
 * {@code ./mvnw -q -B -o -pl lib test -Dtest=ForestTimingTest -Dfraudlake.timing=true}.
 */
@EnabledIfSystemProperty(named = "fraudlake.timing", matches = "true")
class ForestTimingTest {
  private static final int ROWS = 1_000_000;
  private static final int FEATURES = 8;

  /** The machine is shared, so CPU time is reported beside wall time. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static long threadCpuNanos() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  @Test
  void trainAndScoreOneMillionRows() {
    SparkSession spark = SharedSpark.session();
    Column[] columns = new Column[FEATURES];
    String[] names = new String[FEATURES];
    for (int f = 0; f < FEATURES; f++) {
      names[f] = "f" + f;
      columns[f] = randn(f).as(names[f]);
    }
    Dataset<Row> data = new VectorAssembler().setInputCols(names).setOutputCol("features")
        .transform(spark.range(0, ROWS, 1, 2).select(columns)).select("features").cache();
    System.out.printf("rows cached: %d%n", data.count());

    IsolationForest estimator = new IsolationForest().setNumTrees(200).setMaxSamples(256);
    IsolationForestModel model = null;
    for (int run = 0; run < 3; run++) {
      long start = System.nanoTime();
      long cpu = processCpuNanos();
      model = estimator.setSeed(run).fit(data);
      System.out.printf("fit %d: %.2f s wall, %.2f s CPU of the JVM (threshold %.4f)%n", run,
          (System.nanoTime() - start) / 1e9, (processCpuNanos() - cpu) / 1e9, model.threshold());
    }
    for (int run = 0; run < 3; run++) {
      long start = System.nanoTime();
      long cpu = processCpuNanos();
      double total = model.transform(data).agg(sum(col("fraud_score"))).first().getDouble(0);
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpuSeconds = (processCpuNanos() - cpu) / 1e9;
      System.out.printf("spark scoring %d: %.2f s wall, %.0f rows/s; %.2f s CPU, %.0f rows per CPU second (checksum %.3f)%n",
          run, seconds, ROWS / seconds, cpuSeconds, ROWS / cpuSeconds, total);
    }

    SplittableRandom random = new SplittableRandom(1);
    double[][] rows = new double[ROWS][FEATURES];
    for (double[] row : rows) {
      for (int f = 0; f < FEATURES; f++) {
        row[f] = random.nextGaussian();
      }
    }
    FlatForest scorer = model.scorer();
    double[] out = new double[ROWS];
    for (int run = 0; run < 3; run++) {
      long start = threadCpuNanos();
      scorer.score(rows, out);
      double bulk = (threadCpuNanos() - start) / 1e9;
      start = threadCpuNanos();
      double check = 0;
      for (double[] row : rows) {
        check += scorer.score(row);
      }
      double single = (threadCpuNanos() - start) / 1e9;
      System.out.printf("raw scorer, one thread: bulk %.0f rows per CPU second, row by row %.0f (checksum %.3f)%n",
          ROWS / bulk, ROWS / single, check);
    }
  }

  /** The raw scorer alone, on a forest grown without Spark: {@code -Dtest=ForestTimingTest#rawScorer}. */
  @Test
  void rawScorer() {
    SplittableRandom random = new SplittableRandom(1);
    IsolationTree[] trees = new IsolationTree[200];
    int[] features = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int t = 0; t < trees.length; t++) {
      double[][] sample = new double[256][FEATURES];
      for (double[] row : sample) {
        for (int f = 0; f < FEATURES; f++) {
          row[f] = random.nextGaussian();
        }
      }
      trees[t] = IsolationTreeBuilder.grow(sample, features, 8, new SplittableRandom(t));
    }
    FlatForest scorer = FlatForest.of(trees, 256, FEATURES);
    double[][] rows = new double[200_000][FEATURES];
    for (double[] row : rows) {
      for (int f = 0; f < FEATURES; f++) {
        row[f] = random.nextGaussian();
      }
    }
    double[] out = new double[rows.length];
    for (int run = 0; run < 5; run++) {
      long start = threadCpuNanos();
      scorer.score(rows, out);
      double bulk = (threadCpuNanos() - start) / 1e9;
      start = threadCpuNanos();
      double check = 0;
      for (double[] row : rows) {
        check += scorer.score(row);
      }
      double single = (threadCpuNanos() - start) / 1e9;
      System.out.printf("raw scorer, one thread: bulk %.0f rows per CPU second, row by row %.0f (checksum %.3f)%n",
          rows.length / bulk, rows.length / single, check);
    }
  }
}
