package io.fraudlake.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads what scoring needs from an MLflow model directory: where the Spark flavor keeps the saved
 * Spark ML model ({@code flavors.spark.model_data}) and the column signature of its inputs.
 */
record MlflowModelDirectory(Path sparkModel, StructType signature) {
  static final String MLMODEL = "MLmodel";

  static boolean isModelDirectory(Path dir) {
    return Files.isRegularFile(dir.resolve(MLMODEL));
  }

  @SuppressWarnings("unchecked")
  static MlflowModelDirectory read(Path dir) {
    Path file = dir.resolve(MLMODEL);
    Map<String, Object> mlmodel;
    try (Reader in = Files.newBufferedReader(file)) {
      Object parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new FraudLakeException("not an MLmodel file: " + file);
      }
      mlmodel = (Map<String, Object>) map;
    } catch (IOException e) {
      throw new FraudLakeException("cannot read " + file + ": " + e.getMessage(), e);
    }
    Object flavors = mlmodel.get("flavors");
    Object spark = flavors instanceof Map<?, ?> f ? f.get("spark") : null;
    if (!(spark instanceof Map<?, ?> sparkFlavor)) {
      throw new FraudLakeException("the model in " + dir + " has no spark flavor; scoring needs a Spark ML model");
    }
    Object modelData = sparkFlavor.get("model_data");
    Path sparkModel = dir.resolve(modelData == null ? "sparkml" : modelData.toString());
    Object signature = mlmodel.get("signature");
    Object inputs = signature instanceof Map<?, ?> s ? s.get("inputs") : null;
    if (inputs == null) {
      throw new FraudLakeException("the model in " + dir + " has no input signature; log it with one");
    }
    return new MlflowModelDirectory(sparkModel, parseInputs(inputs.toString(), file));
  }

  /** MLflow's column-based signature: a JSON list of {"name", "type"} objects. */
  private static StructType parseInputs(String json, Path file) {
    StructType schema = new StructType();
    try {
      for (JsonNode column : new ObjectMapper().readTree(json)) {
        if (!column.hasNonNull("name")) {
          throw new FraudLakeException("the signature in " + file + " is not column-based (inputs without names)");
        }
        schema = schema.add(column.get("name").asText(), sparkType(column.path("type").asText(), file));
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot parse the signature in " + file + ": " + e.getMessage(), e);
    }
    return schema;
  }

  private static DataType sparkType(String mlflowType, Path file) {
    return switch (mlflowType) {
      case "double" -> DataTypes.DoubleType;
      case "float" -> DataTypes.FloatType;
      case "integer" -> DataTypes.IntegerType;
      case "long" -> DataTypes.LongType;
      case "boolean" -> DataTypes.BooleanType;
      case "string" -> DataTypes.StringType;
      case "datetime" -> DataTypes.TimestampType;
      case "binary" -> DataTypes.BinaryType;
      default -> throw new FraudLakeException("unknown column type '" + mlflowType + "' in the signature in " + file);
    };
  }
}
