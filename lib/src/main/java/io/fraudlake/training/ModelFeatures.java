package io.fraudlake.training;

import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The model's input contract: the 8 silver features, in the order the VectorAssembler reads them,
 * with the Spark types silver writes. Training, the logged signature and scoring all read this one
 * list, so a model can never be fitted on one layout and scored on another.
 */
public final class ModelFeatures {
  public static final String EVENT_TIME = "event_timestamp";
  public static final String LABEL = "isFraud";
  public static final String VECTOR = "features";
  public static final String SCALED_VECTOR = "scaled_features";
  public static final String SCORE = "fraud_score";
  public static final String PREDICTION = "is_anomaly";

  public static final StructType SCHEMA = new StructType(new StructField[] {
      field("TransactionAmt", DataTypes.DoubleType),
      field("log_transaction_amount", DataTypes.DoubleType),
      field("is_high_value_txn", DataTypes.IntegerType),
      field("is_international_txn", DataTypes.IntegerType),
      field("txn_count_5min", DataTypes.LongType),
      field("avg_amount_5min", DataTypes.DoubleType),
      field("stddev_amount_5min", DataTypes.DoubleType),
      field("product_diversity_5min", DataTypes.LongType),
  });

  public static final List<String> NAMES = List.of(SCHEMA.fieldNames());

  private ModelFeatures() {}

  public static String[] names() {
    return SCHEMA.fieldNames();
  }

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, false);
  }
}
