package io.fraudlake.features;

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

  /** The feature columns, for a select. */
  public static org.apache.spark.sql.Column[] columns() {
    return NAMES.stream().map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new);
  }

  /**
   * What keeps {@code schema} from feeding the model: features that are missing or have another
   * type than the contract's, one phrase each; empty when it fits. Nullability is not compared:
   * Delta reports most columns nullable whatever was written.
   */
  public static List<String> mismatches(StructType schema) {
    return mismatches(schema, SCHEMA);
  }

  /** Like {@link #mismatches(StructType)} against any expected inputs, e.g. a model's signature. */
  public static List<String> mismatches(StructType actual, StructType expected) {
    java.util.Map<String, StructField> byName = new java.util.HashMap<>();
    for (StructField f : actual.fields()) {
      byName.put(f.name(), f);
    }
    List<String> problems = new java.util.ArrayList<>();
    for (StructField want : expected.fields()) {
      StructField have = byName.get(want.name());
      if (have == null) {
        problems.add(want.name() + " missing");
      } else if (!have.dataType().sameType(want.dataType())) {
        problems.add(want.name() + " is " + have.dataType().simpleString() + ", expected " + want.dataType().simpleString());
      }
    }
    return problems;
  }

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, false);
  }
}
