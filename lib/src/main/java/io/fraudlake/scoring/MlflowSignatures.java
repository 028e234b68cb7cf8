package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.ColumnSpec;
import io.fraudlake.registry.Signature;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** An MLflow signature's inputs as the Spark schema the input table must have. */
final class MlflowSignatures {
  private MlflowSignatures() {}

  static StructType inputSchema(Signature signature, String modelName) {
    StructType schema = new StructType();
    for (ColumnSpec column : signature.inputs()) {
      schema = schema.add(column.name(), sparkType(column, modelName));
    }
    return schema;
  }

  private static DataType sparkType(ColumnSpec column, String modelName) {
    return switch (column.type()) {
      case "double" -> DataTypes.DoubleType;
      case "float" -> DataTypes.FloatType;
      case "integer" -> DataTypes.IntegerType;
      case "long" -> DataTypes.LongType;
      case "boolean" -> DataTypes.BooleanType;
      case "string" -> DataTypes.StringType;
      case "datetime" -> DataTypes.TimestampType;
      case "binary" -> DataTypes.BinaryType;
      default -> throw new FraudLakeException("the signature of " + modelName + " has column " + column.name()
          + " of unknown type '" + column.type() + "'");
    };
  }
}
