package io.fraudlake.scoring;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.Signature;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.FeatureReference;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Silver-shaped tables and saved models for scoring tests (here and in the jobs module). */
public final class ScoringFixtures {
  /** silver_transactions_base's columns: raw event columns, then the 8 features. */
  public static final StructType SILVER = silverSchema();

  private ScoringFixtures() {}

  private static StructType silverSchema() {
    StructType raw = new StructType()
        .add("TransactionID", DataTypes.StringType)
        .add("event_timestamp", DataTypes.TimestampType)
        .add("card_id", DataTypes.StringType)
        .add("ProductCD", DataTypes.StringType)
        .add("card_country", DataTypes.StringType)
        .add("merchant_country", DataTypes.StringType)
        .add("isFraud", DataTypes.IntegerType);
    for (StructField f : GoldSchema.FEATURES.fields()) {
      raw = raw.add(f);
    }
    return raw;
  }

  /**
   * {@code count} silver rows with ids {@code prefix-<first..>}, event times one second apart from
   * {@code start}; about 3% carry large amounts (the anomalies).
   */
  public static List<Row> silverRows(String prefix, int first, int count, Timestamp start, long seed) {
    Random random = new Random(seed + first);
    List<Row> rows = new ArrayList<>(count);
    for (int i = first; i < first + count; i++) {
      boolean odd = random.nextDouble() < 0.03;
      double amount = odd ? 2000 + random.nextDouble() * 3000 : 5 + random.nextDouble() * 150;
      long txns = odd ? 6 + random.nextInt(5) : 1 + random.nextInt(3);
      rows.add(RowFactory.create(
          prefix + "-" + i,
          new Timestamp(start.getTime() + i * 1000L),
          "card-" + (i % 37),
          odd ? "C" : "W",
          "US",
          odd ? "NG" : "US",
          odd ? 1 : 0,
          amount,
          Math.log1p(amount),
          amount > 1000 ? 1 : 0,
          odd ? 1 : 0,
          txns,
          amount,
          0.0,
          odd ? 3L : 1L));
    }
    return rows;
  }

  /** Appends rows to silver as {@code files} separate Parquet files (one per Delta source file). */
  public static void appendSilver(Lakehouse lakehouse, List<Row> rows, int files) {
    SparkSession spark = lakehouse.spark();
    Dataset<Row> df = spark.createDataFrame(rows, SILVER).repartition(files);
    df.write().format("delta").mode("append").save(lakehouse.path(Tables.SILVER).toString());
  }

  /** Writes {@code files} commits of {@code perFile} rows each: many small batches for the stream. */
  public static void appendSilverCommits(Lakehouse lakehouse, String prefix, int commits, int perCommit, Timestamp start) {
    for (int c = 0; c < commits; c++) {
      appendSilver(lakehouse, silverRows(prefix, c * perCommit, perCommit, start, 7), 1);
    }
  }

  public static Timestamp start() {
    return Timestamp.valueOf("2024-03-01 10:00:00");
  }

  /**
   * Fits and saves a small real pipeline (VectorAssembler, StandardScaler, IsolationForest) on
   * silver-shaped rows; different seeds make different "versions".
   */
  public static Path saveModel(SparkSession spark, Path dir, long seed) {
    VectorAssembler assembler = new VectorAssembler()
        .setInputCols(GoldSchema.FEATURES.fieldNames())
        .setOutputCol("raw_features");
    StandardScaler scaler = new StandardScaler().setInputCol("raw_features").setOutputCol("features");
    IsolationForest forest = new IsolationForest()
        .setNumTrees(25).setMaxSamples(64).setContamination(0.05).setSeed(seed).setFeaturesCol("features");
    Dataset<Row> sample = spark.createDataFrame(silverRows("fit", 0, 300, start(), seed), SILVER);
    PipelineModel model = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, forest}).fit(sample);
    try {
      model.write().overwrite().save(dir.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return dir;
  }

  /**
   * {@link #saveModel} as training logs it: an MLflow model directory with the feature signature
   * and the reference statistics of the rows it was fitted on, so scoring it also measures drift.
   */
  public static Path saveMlflowModel(SparkSession spark, Path dir, long seed) {
    Path sparkModel = saveModel(spark, dir.resolveSibling(dir.getFileName() + "-sparkml"), seed);
    Dataset<Row> sample = spark.createDataFrame(silverRows("fit", 0, 300, start(), seed), SILVER);
    FeatureReference reference = FeatureReference.compute(sample, ModelFeatures.NAMES, 10);
    StructType outputs = new StructType().add("fraud_score", DataTypes.DoubleType).add("is_anomaly", DataTypes.BooleanType);
    return MlflowModelDirectory.builder(dir)
        .signature(Signature.of(GoldSchema.FEATURES, outputs))
        .sparkModel(sparkModel, PipelineModel.class.getName())
        .extraFile(FeatureReference.FILE_NAME, reference.toJson())
        .write()
        .directory();
  }
}
