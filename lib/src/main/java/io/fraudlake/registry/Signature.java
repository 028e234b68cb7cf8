package io.fraudlake.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * An MLflow column-based model signature: the named, typed inputs a model needs and the outputs
 * it adds. In the MLmodel file each side is a JSON string such as
 * {@code [{"type": "double", "name": "TransactionAmt", "required": true}]}.
 */
public final class Signature {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<ColumnSpec> inputs;
  private final List<ColumnSpec> outputs;

  public Signature(List<ColumnSpec> inputs, List<ColumnSpec> outputs) {
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
  }

  /** The signature of a model reading {@code inputs}' columns and adding {@code outputs}' columns. */
  public static Signature of(StructType inputs, StructType outputs) {
    return new Signature(columns(inputs), columns(outputs));
  }

  public static List<ColumnSpec> columns(StructType schema) {
    List<ColumnSpec> out = new ArrayList<>();
    for (StructField f : schema.fields()) {
      out.add(new ColumnSpec(f.name(), mlflowType(f.dataType(), f.name()), true));
    }
    return out;
  }

  /** MLflow's name for a Spark SQL type; the narrow integer types widen to {@code integer}. */
  public static String mlflowType(DataType type, String column) {
    if (type.equals(DataTypes.DoubleType)) {
      return "double";
    }
    if (type.equals(DataTypes.FloatType)) {
      return "float";
    }
    if (type.equals(DataTypes.LongType)) {
      return "long";
    }
    if (type.equals(DataTypes.IntegerType) || type.equals(DataTypes.ShortType) || type.equals(DataTypes.ByteType)) {
      return "integer";
    }
    if (type.equals(DataTypes.BooleanType)) {
      return "boolean";
    }
    if (type.equals(DataTypes.StringType)) {
      return "string";
    }
    if (type.equals(DataTypes.BinaryType)) {
      return "binary";
    }
    if (type.equals(DataTypes.TimestampType) || type.equals(DataTypes.TimestampNTZType) || type.equals(DataTypes.DateType)) {
      return "datetime";
    }
    throw new FraudLakeException("column '" + column + "' has type " + type.simpleString()
        + ", which an MLflow column signature cannot describe");
  }

  public List<ColumnSpec> inputs() {
    return inputs;
  }

  public List<ColumnSpec> outputs() {
    return outputs;
  }

  public List<String> inputNames() {
    return inputs.stream().map(ColumnSpec::name).toList();
  }

  /** Throws a one-line error naming every missing or mistyped input column. */
  public void requireMatches(StructType schema) {
    requireMatches(columnsLenient(schema));
  }

  public void requireMatches(List<ColumnSpec> available) {
    Map<String, String> types = new HashMap<>();
    for (ColumnSpec c : available) {
      types.put(c.name(), c.type());
    }
    List<String> missing = new ArrayList<>();
    List<String> mistyped = new ArrayList<>();
    for (ColumnSpec expected : inputs) {
      String actual = types.get(expected.name());
      if (actual == null) {
        if (expected.required()) {
          missing.add(expected.name());
        }
      } else if (!actual.equals(expected.type())) {
        mistyped.add("model signature expects " + expected.name() + ": " + expected.type()
            + " but the input has it as " + actual);
      }
    }
    if (missing.isEmpty() && mistyped.isEmpty()) {
      return;
    }
    List<String> problems = new ArrayList<>();
    if (!missing.isEmpty()) {
      problems.add(missing.size() == 1
          ? "model signature expects column " + missing.get(0) + " but the input lacks it"
          : "model signature expects columns " + String.join(", ", missing) + " but the input lacks them");
    }
    problems.addAll(mistyped);
    throw new FraudLakeException(String.join("; ", problems));
  }

  // Columns of types a signature cannot name are kept as their Spark type name, so they only fail
  // the check when the signature actually needs them.
  private static List<ColumnSpec> columnsLenient(StructType schema) {
    List<ColumnSpec> out = new ArrayList<>();
    for (StructField f : schema.fields()) {
      String type;
      try {
        type = mlflowType(f.dataType(), f.name());
      } catch (FraudLakeException e) {
        type = f.dataType().simpleString();
      }
      out.add(new ColumnSpec(f.name(), type, true));
    }
    return out;
  }

  /** The JSON string MLflow keeps under {@code signature.inputs} in the MLmodel file. */
  public String inputsJson() {
    return toJson(inputs);
  }

  public String outputsJson() {
    return toJson(outputs);
  }

  // Key order and separators as Python's json.dumps writes them in MLflow's own MLmodel files.
  static String toJson(List<ColumnSpec> columns) {
    List<String> items = new ArrayList<>();
    for (ColumnSpec c : columns) {
      items.add("{\"type\": " + quote(c.type()) + ", \"name\": " + quote(c.name()) + ", \"required\": " + c.required() + "}");
    }
    return "[" + String.join(", ", items) + "]";
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Signature fromJson(String inputsJson, String outputsJson) {
    return new Signature(parse(inputsJson, "inputs"), parse(outputsJson, "outputs"));
  }

  private static List<ColumnSpec> parse(String json, String side) {
    List<ColumnSpec> out = new ArrayList<>();
    if (json == null || json.isBlank() || json.equals("null")) {
      return out;
    }
    try {
      JsonNode array = JSON.readTree(json);
      for (JsonNode col : array) {
        if (!col.has("name") || !col.has("type")) {
          throw new FraudLakeException("the model signature's " + side
              + " are not named columns (tensor signatures are not supported)");
        }
        out.add(new ColumnSpec(col.get("name").asText(), col.get("type").asText(),
            !col.has("required") || col.get("required").asBoolean()));
      }
      return out;
    } catch (JsonProcessingException e) {
      throw new FraudLakeException("the model signature's " + side + " are not valid JSON: "
          + YamlFiles.firstLine(e.getOriginalMessage()));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Signature other && inputs.equals(other.inputs) && outputs.equals(other.outputs);
  }

  @Override
  public int hashCode() {
    return inputs.hashCode() * 31 + outputs.hashCode();
  }

  @Override
  public String toString() {
    return "Signature" + inputs + " -> " + outputs;
  }
}
