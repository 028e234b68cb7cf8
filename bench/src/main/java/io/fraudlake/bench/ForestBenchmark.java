package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.IsolationForestModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * FraudLake's Isolation Forest on the benchmark Parquet, measured the way the LinkedIn runner
 * (bench/linkedin) measures LinkedIn's: features assembled and cached before any timing, then
 * {@link Measurement}'s warm-up and timed rounds of fit and of transform + an aggregate over the score
 * column (the aggregate forces every row to be scored). Prints one JSON object on stdout and, with
 * {@code --out}, writes it there too.
 *
 * <p>Usage: {@code ForestBenchmark --data DIR.parquet [--warmup 1] [--reps 3] [--out FILE]}
 */
public final class ForestBenchmark {
  private ForestBenchmark() {}

  public static void main(String[] args) throws Exception {
    Args a = Args.parse(args);
    String data = a.required("data");
    int warmup = a.intValue("warmup", 1);
    int reps = a.intValue("reps", 3);

    SparkSession spark = Spark.localSession("bench-fraudlake-iforest");
    try {
      Dataset<Row> features = new VectorAssembler()
          .setInputCols(BenchData.FEATURES.toArray(String[]::new))
          .setOutputCol("features")
          .transform(spark.read().parquet(data))
          .select("features", BenchData.LABEL)
          .cache();
      long rows = features.count();

      IsolationForest forest = new IsolationForest()
          .setNumTrees(200)
          .setMaxSamples(256)
          .setMaxFeatures(1.0)
          .setContamination(0.035)
          .setBootstrap(false)
          .setSeed(42)
          .setFeaturesCol("features")
          .setScoreCol("fraud_score")
          .setPredictionCol("is_anomaly");

      Measurement<IsolationForestModel> m = Measurement.run(warmup, reps,
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
      fields.put("impl", "fraudlake");
      fields.put("engine", "Spark " + spark.version() + " " + spark.sparkContext().master());
      fields.put("cores", spark.sparkContext().defaultParallelism());
      fields.put("partitions", features.rdd().getNumPartitions());
      fields.put("rows", rows);
      fields.put("trees", 200);
      fields.put("max_samples", 256);
      fields.put("warmup", warmup);
      fields.put("reps", reps);
      fields.put("roc_auc", auc);
      fields.put("flagged_fraction", flagged);
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

  private static Object scoreAll(IsolationForestModel model, Dataset<Row> features) {
    Row r = model.transform(features)
        .agg(sum("fraud_score"), sum(when(col("is_anomaly"), 1L).otherwise(0L)))
        .first();
    return "score sum " + r.getDouble(0) + ", flagged " + r.getLong(1);
  }
}
