package io.fraudlake.bench;

import io.fraudlake.iforest.FlatForest;
import io.fraudlake.iforest.IsolationForest;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * FraudLake's scorer with Spark out of the way, on one thread: the ceiling the Spark scoring path can
 * approach per core. The model is trained once per fork with the benchmark's parameters (200 trees,
 * 256 samples) on generated rows, Spark is stopped, and then only plain-Java scoring runs. Each
 * operation is one row ({@link OperationsPerInvocation}), so JMH's ops/s is rows/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3, time = 2)
@org.openjdk.jmh.annotations.Measurement(iterations = 5, time = 3)
@State(Scope.Thread)
public class RawScorerBenchmark {
  /** Large enough that the loop dominates the call, small enough (512 KiB of rows) to stay in L2/L3. */
  static final int BATCH = 8192;
  static final int TRAIN_ROWS = 200_000;

  FlatForest scorer;
  double[][] rows;
  double[] out;

  @Setup(Level.Trial)
  public void train() {
    SparkSession spark = SparkSession.builder()
        .appName("bench-raw-scorer-setup")
        .master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate();
    try {
      Dataset<Row> features = new VectorAssembler()
          .setInputCols(BenchData.FEATURES.toArray(String[]::new))
          .setOutputCol("features")
          .transform(BenchData.dataFrame(spark, TRAIN_ROWS, 1));
      scorer = new IsolationForest()
          .setNumTrees(200)
          .setMaxSamples(256)
          .setMaxFeatures(1.0)
          .setContamination(0.035)
          .setBootstrap(false)
          .setSeed(42)
          .setFeaturesCol("features")
          .fit(features)
          .scorer();
    } finally {
      spark.stop();
    }
    rows = BenchData.features(0, BATCH);
    out = new double[BATCH];
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double[] batch() {
    scorer.score(rows, out);
    return out;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double single() {
    double sum = 0;
    for (double[] row : rows) {
      sum += scorer.score(row);
    }
    return sum;
  }
}
