package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.evaluation.BinaryMetrics;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.extended.ExtendedIsolationForest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One of FraudLake's forests on the benchmark Parquet, measured the way the LinkedIn runner
 * (bench/linkedin) measures LinkedIn's: features assembled and cached before any timing, then
 * {@link Measurement}'s warm-up and timed rounds of fit and of transform + an aggregate over the score
 * column (the aggregate forces every row to be scored). Then, untimed, its AUROC and AUPRC on every
 * ODDS data set in {@code --odds} (100 trees, ψ = 256, seed 1: the published results' setting).
 * Prints one JSON object on stdout and, with {@code --out}, writes it there too.
 *
 * <p>Usage: {@code ForestBenchmark --data DIR.parquet [--forest standard|extended] [--odds DIR]
 * [--warmup 1] [--reps 3] [--out FILE]}; {@code extended} is the fully extended Isolation Forest.
 */
public final class ForestBenchmark {
  private static final int TREES = 200;
  private static final int MAX_SAMPLES = 256;

  private ForestBenchmark() {}

  public static void main(String[] args) throws Exception {
    Args a = Args.parse(args);
    String data = a.required("data");
    String forestKind = a.string("forest", "standard");
    int warmup = a.intValue("warmup", 1);
    int reps = a.intValue("reps", 3);
    if (!forestKind.equals("standard") && !forestKind.equals("extended")) {
      throw new IllegalArgumentException("--forest must be standard or extended, got " + forestKind);
    }
    boolean extended = forestKind.equals("extended");

    SparkSession spark = Spark.localSession("bench-fraudlake-" + (extended ? "eif" : "iforest"));
    try {
      Dataset<Row> features = new VectorAssembler()
          .setInputCols(BenchData.FEATURES.toArray(String[]::new))
          .setOutputCol("features")
          .transform(spark.read().parquet(data))
          .select("features", BenchData.LABEL)
          .cache();
      long rows = features.count();

      Estimator<? extends Model<?>> forest = forest(extended, TREES, 42, false);
      Measurement<Model<?>> m = Measurement.run(warmup, reps,
          () -> forest.fit(features),
          model -> scoreAll(model, features));

      // Untimed: a fast forest that stopped separating the injected anomalies would be no result.
      Dataset<Row> scored = m.lastModel.transform(features);
      double auc = new BinaryClassificationEvaluator()
          .setLabelCol(BenchData.LABEL)
          .setRawPredictionCol("fraud_score")
          .evaluate(scored);
      double flagged = scored.agg(sum(when(col("is_anomaly"), 1.0).otherwise(0.0))).first().getDouble(0) / rows;

      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("impl", extended ? "fraudlake_eif" : "fraudlake");
      fields.put("forest", extended ? "Extended Isolation Forest, fully extended" : "Isolation Forest");
      fields.put("engine", "Spark " + spark.version() + " " + spark.sparkContext().master());
      fields.put("cores", spark.sparkContext().defaultParallelism());
      fields.put("partitions", features.rdd().getNumPartitions());
      fields.put("rows", rows);
      fields.put("trees", TREES);
      fields.put("max_samples", MAX_SAMPLES);
      fields.put("warmup", warmup);
      fields.put("reps", reps);
      fields.put("roc_auc", auc);
      fields.put("flagged_fraction", flagged);
      String odds = a.string("odds", null);
      if (odds != null) {
        fields.putAll(oddsMetrics(spark, Path.of(odds), extended));
      }
      String json = m.toJson(fields, rows);
      System.out.println(json);
      String out = a.string("out", null);
      if (out != null) {
        Files.writeString(Path.of(out), json + "\n");
      }
    } finally {
      spark.stop();
    }
  }

  /** {@code scoresOnly}: a fixed threshold skips the quantile pass that AUROC and AUPRC do not need. */
  private static Estimator<? extends Model<?>> forest(boolean extended, int trees, long seed, boolean scoresOnly) {
    if (extended) {
      ExtendedIsolationForest forest = new ExtendedIsolationForest().setNumTrees(trees).setMaxSamples(MAX_SAMPLES)
          .setContamination(0.035).setBootstrap(false).setSeed(seed).setFeaturesCol("features")
          .setScoreCol("fraud_score").setPredictionCol("is_anomaly");
      return scoresOnly ? forest.setThreshold(0.5) : forest;
    }
    IsolationForest forest = new IsolationForest().setNumTrees(trees).setMaxSamples(MAX_SAMPLES).setMaxFeatures(1.0)
        .setContamination(0.035).setBootstrap(false).setSeed(seed).setFeaturesCol("features")
        .setScoreCol("fraud_score").setPredictionCol("is_anomaly");
    return scoresOnly ? forest.setThreshold(0.5) : forest;
  }

  /** odds_NAME_auroc and odds_NAME_auprc for every NAME.csv (ODDS layout: # comments, label last). */
  private static Map<String, Object> oddsMetrics(SparkSession spark, Path dir, boolean extended) throws IOException {
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir)) {
      files = listing.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList();
    }
    Map<String, Object> metrics = new LinkedHashMap<>();
    for (Path file : files) {
      String name = file.getFileName().toString().replaceFirst("\\.csv$", "");
      Dataset<Row> raw = spark.read().option("comment", "#").option("inferSchema", "true").csv(file.toString());
      String[] columns = raw.columns();
      String label = columns[columns.length - 1];
      Dataset<Row> set = new VectorAssembler().setInputCols(Arrays.copyOf(columns, columns.length - 1))
          .setOutputCol("features").transform(raw)
          .select(raw.col(label).cast("int").as("label"), col("features")).cache();
      Estimator<? extends Model<?>> forest = forest(extended, 100, 1, true);
      BinaryMetrics.Summary summary = BinaryMetrics.summarize(forest.fit(set).transform(set), "fraud_score", "label");
      metrics.put("odds_" + name + "_auroc", summary.areaUnderRoc());
      metrics.put("odds_" + name + "_auprc", summary.averagePrecision());
      System.err.printf("%s on %s: AUROC %.4f, AUPRC %.4f%n", extended ? "EIF" : "IF", name,
          summary.areaUnderRoc(), summary.averagePrecision());
      set.unpersist();
    }
    return metrics;
  }

  private static Object scoreAll(Model<?> model, Dataset<Row> features) {
    Row r = model.transform(features)
        .agg(sum("fraud_score"), sum(when(col("is_anomaly"), 1L).otherwise(0L)))
        .first();
    return "score sum " + r.getDouble(0) + ", flagged " + r.getLong(1);
  }
}
