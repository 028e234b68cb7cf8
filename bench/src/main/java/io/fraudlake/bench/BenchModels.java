package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.Signature;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelSource;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.training.FeatureReference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The model the pipeline benchmarks score with: the production pipeline shape (assembler, scaler,
 * Isolation Forest with the contract's defaults), served from memory so no registry is involved.
 */
final class BenchModels {
  private BenchModels() {}

  /** Silver-shaped rows: raw columns and the 8 features with contract types, ~3.5% unusual. */
  static Dataset<Row> silverRows(SparkSession spark, long rows, long firstId, long epochSecond) {
    return spark.range(firstId, firstId + rows)
        .withColumn("odd", expr("rand(" + firstId + ") < 0.035"))
        .withColumn("TransactionAmt", expr("IF(odd, 2000 + rand(7) * 3000, 5 + rand(8) * 150)"))
        .select(
            expr("concat('t-', id)").as("TransactionID"),
            expr("timestamp_seconds(" + epochSecond + " + (id - " + firstId + ") / 2000.0)").as("event_timestamp"),
            expr("concat('card-', id % 5000)").as("card_id"),
            expr("IF(odd, 'C', 'W')").as("ProductCD"),
            expr("'US'").as("card_country"),
            expr("IF(odd, 'NG', 'US')").as("merchant_country"),
            expr("CAST(odd AS INT)").as("isFraud"),
            col("TransactionAmt"),
            expr("ln(1 + TransactionAmt)").as("log_transaction_amount"),
            expr("CAST(TransactionAmt > 1000 AS INT)").as("is_high_value_txn"),
            expr("CAST(odd AS INT)").as("is_international_txn"),
            expr("CAST(IF(odd, 6 + rand(9) * 5, 1 + rand(10) * 3) AS BIGINT)").as("txn_count_5min"),
            expr("TransactionAmt * (0.8 + rand(11) * 0.4)").as("avg_amount_5min"),
            expr("IF(odd, rand(12) * 500, rand(13) * 20)").as("stddev_amount_5min"),
            expr("CAST(IF(odd, 3, 1) AS BIGINT)").as("product_diversity_5min"));
  }

  /** Fits on {@code sample} (silver-shaped rows) and says how long it took. */
  static ScoringModel fitForest(Dataset<Row> sample) {
    long started = System.nanoTime();
    VectorAssembler assembler = new VectorAssembler().setInputCols(GoldSchema.FEATURES.fieldNames()).setOutputCol("raw_features");
    StandardScaler scaler = new StandardScaler().setInputCol("raw_features").setOutputCol("features");
    IsolationForest forest = new IsolationForest().setNumTrees(200).setMaxSamples(256).setContamination(0.035).setSeed(42)
        .setFeaturesCol("features");
    Transformer model = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, forest}).fit(sample);
    // As training logs it: drift is measured against the rows the model was fitted on.
    FeatureReference reference = FeatureReference.compute(sample, ModelFeatures.NAMES, 10);
    System.out.printf(Locale.ROOT, "fitted the forest (200 trees, 256 samples) in %.1fs%n", (System.nanoTime() - started) / 1e9);
    return new ScoringModel("fraud_isolation_forest", "bench", model, GoldSchema.FEATURES, "fitted in the benchmark",
        Optional.of(reference));
  }

  /**
   * {@code fitted} as an MLflow model directory ({@code MLmodel}, the Spark ML pipeline beside it, the drift
   * reference), what {@code --model-path} of the commands takes; the pipeline goes to {@code <dir>-sparkml}.
   */
  static Path saveMlflow(ScoringModel fitted, Path dir) throws IOException {
    Path sparkml = dir.resolveSibling(dir.getFileName() + "-sparkml");
    ((MLWritable) fitted.transformer()).write().overwrite().save(sparkml.toString());
    StructType outputs = new StructType().add("fraud_score", DataTypes.DoubleType).add("is_anomaly", DataTypes.BooleanType);
    MlflowModelDirectory.Builder builder = MlflowModelDirectory.builder(dir)
        .signature(Signature.of(GoldSchema.FEATURES, outputs))
        .sparkModel(sparkml, PipelineModel.class.getName());
    FeatureReference reference = fitted.featureReference().orElseThrow();
    return builder.extraFile(FeatureReference.FILE_NAME, reference.toJson()).write().directory();
  }

  /** A model source that always answers with {@code model}: alias checks cost nothing. */
  static ModelSource fixed(ScoringModel model) {
    return new ModelSource() {
      @Override
      public String describe() {
        return model.origin();
      }

      @Override
      public String currentVersion() {
        return model.version();
      }

      @Override
      public ScoringModel load(String version) {
        return model;
      }
    };
  }
}
