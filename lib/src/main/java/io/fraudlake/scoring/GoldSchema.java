package io.fraudlake.scoring;

import io.fraudlake.features.ModelFeatures;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Column contracts of the scoring outputs: gold predictions, per-batch metrics and feature drift. */
public final class GoldSchema {
  public static final String TRANSACTION_ID = "TransactionID";
  public static final String EVENT_TIMESTAMP = "event_timestamp";
  public static final String AMOUNT = "TransactionAmt";
  public static final String CARD_ID = "card_id";
  public static final String SCORE = "fraud_score";
  public static final String IS_ANOMALY = "is_anomaly";
  public static final String MODEL_NAME = "model_name";
  public static final String MODEL_VERSION = "model_version";
  public static final String SCORED_AT = "scored_at";

  /** fraud_predictions, in this column order. */
  public static final StructType PREDICTIONS = new StructType()
      .add(TRANSACTION_ID, DataTypes.StringType)
      .add(EVENT_TIMESTAMP, DataTypes.TimestampType)
      .add(AMOUNT, DataTypes.DoubleType)
      .add(SCORE, DataTypes.DoubleType)
      .add(IS_ANOMALY, DataTypes.BooleanType)
      .add(CARD_ID, DataTypes.StringType)
      .add(MODEL_NAME, DataTypes.StringType)
      .add(MODEL_VERSION, DataTypes.StringType)
      .add(SCORED_AT, DataTypes.TimestampType);

  /** What a scored input must carry besides the model's features to fill a gold row. */
  public static final List<String> PASS_THROUGH = List.of(TRANSACTION_ID, EVENT_TIMESTAMP, AMOUNT, CARD_ID);

  /** fraud_batch_metrics: one row per micro-batch of a scoring query. */
  public static final StructType BATCH_METRICS = new StructType()
      .add("query_id", DataTypes.StringType, false)
      .add("batch_id", DataTypes.LongType, false)
      .add("rows", DataTypes.LongType, false)
      .add("anomalies", DataTypes.LongType, false)
      .add("anomaly_rate", DataTypes.DoubleType, false)
      .add("mean_score", DataTypes.DoubleType)
      .add(MODEL_NAME, DataTypes.StringType, false)
      .add(MODEL_VERSION, DataTypes.StringType, false)
      .add("processing_seconds", DataTypes.DoubleType, false)
      .add("min_event_time", DataTypes.TimestampType)
      .add("max_event_time", DataTypes.TimestampType)
      .add("lag_seconds", DataTypes.DoubleType)
      .add(SCORED_AT, DataTypes.TimestampType, false);

  /**
   * fraud_feature_drift: per scoring micro-batch (of at least monitoring.min-drift-rows rows) and
   * model feature, how far the batch is from the model's training data (see FeatureDrift).
   */
  public static final StructType FEATURE_DRIFT = new StructType()
      .add("query_id", DataTypes.StringType, false)
      .add("batch_id", DataTypes.LongType, false)
      .add(MODEL_NAME, DataTypes.StringType, false)
      .add(MODEL_VERSION, DataTypes.StringType, false)
      .add("feature", DataTypes.StringType, false)
      .add("rows", DataTypes.LongType, false)
      .add("psi", DataTypes.DoubleType)
      .add("psi_threshold", DataTypes.DoubleType, false)
      .add("drifted", DataTypes.BooleanType)
      .add("batch_mean", DataTypes.DoubleType)
      .add("reference_mean", DataTypes.DoubleType)
      .add("batch_shares", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("reference_shares", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
      .add("window_start", DataTypes.TimestampType)
      .add("window_end", DataTypes.TimestampType)
      .add("computed_at", DataTypes.TimestampType, false);

  /**
   * The 8 model features with their contract types: the signature of a saved Spark ML model that
   * carries no MLflow signature of its own.
   */
  public static final StructType FEATURES = ModelFeatures.SCHEMA;

  public static List<String> predictionColumns() {
    return Arrays.asList(PREDICTIONS.fieldNames());
  }

  private GoldSchema() {}
}
