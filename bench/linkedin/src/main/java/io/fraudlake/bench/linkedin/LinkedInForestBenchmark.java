package io.fraudlake.bench.linkedin;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import com.linkedin.relevance.isolationforest.IsolationForest;
import com.linkedin.relevance.isolationforest.IsolationForestModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * LinkedIn's isolation-forest (Spark 3.5, Scala 2.12) on the benchmark Parquet, with the same protocol
 * as FraudLake's ForestBenchmark: the same session settings, features assembled and cached before any
 * timing, {@code warmup} untimed rounds then {@code reps} timed rounds of fit and of transform + an
 * aggregate over the score column, medians reported. It lives in its own Maven project because its
 * Spark and Scala cannot share a class path with FraudLake's, so the protocol is repeated here rather
 * than shared.
 *
 * <p>Usage: {@code LinkedInForestBenchmark --data DIR.parquet [--warmup 1] [--reps 3] [--out FILE]}
 */
public final class LinkedInForestBenchmark {
  private static final List<String> FEATURES = List.of(
      "amount", "log_amount", "is_high_value", "txn_count_5m",
      "mean_amount_5m", "std_amount_5m", "merchant_diversity_5m", "is_foreign");
  private static final String LABEL = "is_fraud";

  private LinkedInForestBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    String data = a.get("data");
    if (data == null) {
      throw new IllegalArgumentException("missing --data");
    }
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
    int reps = Integer.parseInt(a.getOrDefault("reps", "3"));

    SparkSession spark = SparkSession.builder()
        .appName("bench-linkedin-iforest")
        .master(System.getProperty("spark.master", "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
    try {
      Dataset<Row> features = new VectorAssembler()
          .setInputCols(FEATURES.toArray(String[]::new))
          .setOutputCol("features")
          .transform(spark.read().parquet(data))
          .select("features", LABEL)
          .cache();
      long rows = features.count();

      // The Scala setters return the params trait, so they cannot be chained from Java.
      IsolationForest forest = new IsolationForest();
      forest.setNumEstimators(200);
      forest.setMaxSamples(256);
      forest.setMaxFeatures(1.0);
      forest.setContamination(0.035);
      forest.setBootstrap(false);
      forest.setRandomSeed(42);
      forest.setFeaturesCol("features");
      forest.setScoreCol("fraud_score");
      forest.setPredictionCol("is_anomaly");

      List<Double> train = new ArrayList<>();
      List<Double> score = new ArrayList<>();
      IsolationForestModel last = null;
      for (int round = 0; round < warmup + reps; round++) {
        long t0 = System.nanoTime();
        IsolationForestModel model = forest.fit(features);
        long t1 = System.nanoTime();
        Row r = model.transform(features).agg(sum("fraud_score"), sum("is_anomaly")).first();
        long t2 = System.nanoTime();
        boolean timed = round >= warmup;
        System.err.printf(Locale.ROOT, "%s round %d: fit %.2f s, score %.2f s (score sum %s, flagged %s)%n",
            timed ? "timed" : "warm-up", round, (t1 - t0) / 1e9, (t2 - t1) / 1e9, r.get(0), r.get(1));
        if (timed) {
          train.add((t1 - t0) / 1e9);
          score.add((t2 - t1) / 1e9);
          last = model;
        }
      }

      // Untimed, on the last timed round's model: the same sanity figures every runner reports.
      Dataset<Row> scored = last.transform(features);
      double auc = new BinaryClassificationEvaluator()
          .setLabelCol(LABEL)
          .setRawPredictionCol("fraud_score")
          .evaluate(scored);
      double flagged = scored.agg(sum(col("is_anomaly"))).first().getDouble(0) / rows;

      double trainMedian = median(train);
      double scoreMedian = median(score);
      String json = "{"
          + "\"impl\":\"linkedin\","
          + "\"engine\":\"Spark " + spark.version() + " " + spark.sparkContext().master() + "\","
          + "\"library\":\"com.linkedin.isolation-forest:isolation-forest_3.5.0_2.12:3.0.5\","
          + "\"cores\":" + spark.sparkContext().defaultParallelism() + ","
          + "\"partitions\":" + features.rdd().getNumPartitions() + ","
          + "\"rows\":" + rows + ","
          + "\"trees\":200,\"max_samples\":256,"
          + "\"warmup\":" + warmup + ",\"reps\":" + reps + ","
          + "\"roc_auc\":" + num(auc) + ","
          + "\"flagged_fraction\":" + num(flagged) + ","
          + "\"train_s\":" + list(train) + ","
          + "\"score_s\":" + list(score) + ","
          + "\"train_s_median\":" + num(trainMedian) + ","
          + "\"score_s_median\":" + num(scoreMedian) + ","
          + "\"score_rows_per_s\":" + num(rows / scoreMedian)
          + "}";
      System.out.println(json);
      String out = a.get("out");
      if (out != null) {
        Files.writeString(Path.of(out), json + "\n");
      }
    } finally {
      spark.stop();
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
      }
      m.put(args[i].substring(2), args[++i]);
    }
    return m;
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  }

  private static String num(double x) {
    return Double.isFinite(x) ? String.format(Locale.ROOT, "%.6g", x) : "null";
  }

  private static String list(List<Double> xs) {
    return Arrays.toString(xs.stream().map(LinkedInForestBenchmark::num).toArray());
  }
}
