package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;

import io.fraudlake.iforest.FlatForest;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.IsolationForestModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

/**
 * Where FraudLake's fit and scoring time goes, on the benchmark Parquet (not part of the summary
 * table; run it by hand when ForestBenchmark's figures need explaining):
 *
 * <ul>
 *   <li>scan: a count over the cached features, the floor for any pass over the data;
 *   <li>fit_trees vs fit_full: fit with an explicit threshold (no quantile pass) and with
 *       contamination, so the difference is the threshold's cost;
 *   <li>quantile: approxQuantile alone over already computed, cached scores, at the estimator's
 *       relative error 1e-4 and at 1e-3;
 *   <li>score_udf: transform + sum of the score (the model's block path), vs row_udf, a UDF scoring
 *       one row at a time (the path streaming datasets take), vs noop_vector_udf, a UDF over the same
 *       vector column that does no work (Spark's per-row cost of a vector UDF), vs batch_partitions,
 *       mapPartitions of external Rows feeding the scorer's batch API.
 *   <li>driver_distinct vs driver_repeated: the batch API on one driver thread over every row, and
 *       over the same 8192 rows repeated as RawScorerBenchmark does, to tell cache effects apart.
 * </ul>
 *
 * <p>Usage: {@code ForestProfile --data DIR.parquet [--reps 3] [--steps scan,fit_full,...]};
 * medians after one warm-up, printed as JSON.
 */
public final class ForestProfile {
  /**
   * local[*] runs tasks in this JVM, so a static hands them the scorer unserialized: neither
   * FlatForest nor the model holding one is Serializable, so neither can travel in a closure.
   */
  private static volatile FlatForest localScorer;
  private static final List<String> STEPS = List.of("scan", "fit_trees", "fit_full", "quantile_1e-4",
      "quantile_1e-3", "score_udf", "row_udf", "noop_vector_udf", "batch_partitions", "driver_distinct", "driver_repeated");

  private ForestProfile() {}

  public static void main(String[] args) {
    Args a = Args.parse(args);
    int reps = a.intValue("reps", 3);
    List<String> steps = List.of(a.string("steps", String.join(",", STEPS)).split(","));
    SparkSession spark = Spark.localSession("bench-fraudlake-profile");
    try {
      Dataset<Row> features = new VectorAssembler()
          .setInputCols(BenchData.FEATURES.toArray(String[]::new))
          .setOutputCol("features")
          .transform(spark.read().parquet(a.required("data")))
          .select("features")
          .cache();
      long rows = features.count();
      IsolationForest forest = new IsolationForest()
          .setNumTrees(200).setMaxSamples(256).setMaxFeatures(1.0).setContamination(0.035)
          .setBootstrap(false).setSeed(42).setFeaturesCol("features").setScoreCol("fraud_score")
          .setPredictionCol("is_anomaly");
      IsolationForestModel model = forest.fit(features);
      Dataset<Row> scores = model.transform(features).select("fraud_score").cache();
      scores.count();

      UDF1<Vector, Double> noop = v -> v.apply(0);
      localScorer = model.scorer();
      Map<String, Double> seconds = new LinkedHashMap<>();
      step(steps, seconds, "scan", reps, () -> features.agg(count("*")).first());
      step(steps, seconds, "fit_trees", reps, () -> forest.copy(new org.apache.spark.ml.param.ParamMap())
          .setThreshold(0.6).fit(features));
      step(steps, seconds, "fit_full", reps, () -> forest.fit(features));
      step(steps, seconds, "quantile_1e-4", reps, () -> scores.stat().approxQuantile("fraud_score", new double[] {0.965}, 1e-4));
      step(steps, seconds, "quantile_1e-3", reps, () -> scores.stat().approxQuantile("fraud_score", new double[] {0.965}, 1e-3));
      step(steps, seconds, "score_udf", reps, () -> model.transform(features).agg(sum("fraud_score")).first());
      UDF1<Vector, Double> rowByRow = v -> localScorer.score(v.toArray());
      step(steps, seconds, "row_udf", reps, () -> features
          .agg(sum(udf(rowByRow, DataTypes.DoubleType).apply(col("features")))).first());
      step(steps, seconds, "noop_vector_udf", reps, () -> features
          .agg(sum(udf(noop, DataTypes.DoubleType).apply(col("features")))).first());
      step(steps, seconds, "batch_partitions", reps, () -> features
          .mapPartitions(batchScore(), Encoders.DOUBLE())
          .agg(sum("value")).first());

      if (steps.contains("driver_distinct") || steps.contains("driver_repeated")) {
        // One thread, no Spark: all rows distinct (as Spark scores them) vs the same 8192 rows over
        // and over (as RawScorerBenchmark scores them), to tell cache effects from Spark overhead.
        double[][] all = features.collectAsList().stream()
            .map(r -> ((Vector) r.get(0)).toArray()).toArray(double[][]::new);
        double[] out = new double[all.length];
        double[][] repeated = new double[all.length][];
        for (int i = 0; i < all.length; i++) {
          repeated[i] = all[i % 8192];
        }
        FlatForest scorer = localScorer;
        step(steps, seconds, "driver_distinct", reps, () -> {
          scorer.score(all, out);
          return out;
        });
        step(steps, seconds, "driver_repeated", reps, () -> {
          scorer.score(repeated, out);
          return out;
        });
      }

      StringBuilder json = new StringBuilder("{\"impl\":\"fraudlake_profile\",\"rows\":" + rows
          + ",\"cores\":" + spark.sparkContext().defaultParallelism() + ",\"reps\":" + reps);
      seconds.forEach((k, v) -> json.append(String.format(Locale.ROOT, ",\"%s_s\":%.4f", k, v)));
      for (String k : List.of("score_udf", "row_udf", "noop_vector_udf", "batch_partitions", "driver_distinct", "driver_repeated")) {
        if (seconds.containsKey(k)) json.append(String.format(Locale.ROOT, ",\"%s_rows_per_s\":%.0f", k, rows / seconds.get(k)));
      }
      System.out.println(json.append('}'));
    } finally {
      spark.stop();
    }
  }

  /** Scores a partition through the batch API, 1024 rows at a time. */
  private static MapPartitionsFunction<Row, Double> batchScore() {
    return rows -> {
      FlatForest scorer = localScorer;
      double[][] batch = new double[1024][];
      double[] out = new double[1024];
      List<Double> sums = new ArrayList<>();
      double total = 0;
      int n = 0;
      while (rows.hasNext()) {
        batch[n++] = ((Vector) rows.next().get(0)).toArray();
        if (n == batch.length || !rows.hasNext()) {
          double[][] full = n == batch.length ? batch : java.util.Arrays.copyOf(batch, n);
          scorer.score(full, out);
          for (int i = 0; i < n; i++) {
            total += out[i];
          }
          n = 0;
        }
      }
      sums.add(total);
      return sums.iterator();
    };
  }

  private static void step(List<String> steps, Map<String, Double> seconds, String name, int reps,
      Supplier<Object> work) {
    if (steps.contains(name)) {
      seconds.put(name, median(reps, work));
    }
  }

  /**
   * Median wall seconds of {@code reps} runs after one warm-up. The process CPU seconds of each run
   * are printed beside them: on a shared machine they move much less than wall time with the load.
   */
  private static double median(int reps, Supplier<Object> work) {
    work.get();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    List<Double> times = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    for (int i = 0; i < reps; i++) {
      long c0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      work.get();
      times.add((System.nanoTime() - t0) / 1e9);
      cpu.add((os.getProcessCpuTime() - c0) / 1e9);
    }
    System.err.println("profile step: wall " + times + " cpu " + cpu);
    return Measurement.median(times);
  }
}
