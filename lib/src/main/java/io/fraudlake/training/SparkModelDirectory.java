package io.fraudlake.training;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * A Spark ML model in MLflow's model directory format, as {@code mlflow.spark.log_model} lays it out:
 *
 * <pre>
 * MLmodel             flavors (spark), signature (inputs/outputs as MLflow column specs), input example info, metadata
 * input_example.json  a few rows in pandas "split" orientation
 * sparkml/            the saved PipelineModel
 * ...                 extra files (the feature reference statistics)
 * </pre>
 *
 * <p>Only the {@code spark} flavor is declared: the pipeline ends in a JVM-only Isolation Forest
 * stage, so claiming {@code python_function} would promise a loader that cannot work.
 */
public final class SparkModelDirectory {
  public static final String MLMODEL = "MLmodel";
  public static final String SPARK_MODEL_DIR = "sparkml";
  public static final String INPUT_EXAMPLE = "input_example.json";
  static final String MLFLOW_VERSION = "2.17.2";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  /** What an MLmodel file says about a model. */
  public record Description(StructType inputs, StructType outputs, String runId, Path sparkModel, Map<String, Object> metadata) {}

  private SparkModelDirectory() {}

  /**
   * Writes {@code model} into {@code dir} (which must not exist) with a signature of
   * {@code inputs} → {@code outputs}, the first rows of {@code example} as the input example, and
   * {@code extraFiles} (name → content) beside MLmodel.
   */
  public static Path write(Path dir, PipelineModel model, StructType inputs, StructType outputs, Dataset<Row> example,
      String runId, String artifactPath, Map<String, String> metadata, Map<String, String> extraFiles) {
    try {
      if (Files.exists(dir)) {
        throw new FraudLakeException("model directory " + dir + " already exists");
      }
      Files.createDirectories(dir);
      model.write().save(dir.resolve(SPARK_MODEL_DIR).toUri().toString());
      writeInputExample(dir.resolve(INPUT_EXAMPLE), inputs, example);
      for (Map.Entry<String, String> file : extraFiles.entrySet()) {
        Files.writeString(dir.resolve(file.getKey()), file.getValue());
      }

      Map<String, Object> spark = new LinkedHashMap<>();
      spark.put("code", null);
      spark.put("model_data", SPARK_MODEL_DIR);
      spark.put("pyspark_version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
      Map<String, Object> mlmodel = new LinkedHashMap<>();
      mlmodel.put("artifact_path", artifactPath);
      mlmodel.put("flavors", Map.of("spark", spark));
      mlmodel.put("metadata", new LinkedHashMap<>(metadata));
      mlmodel.put("mlflow_version", MLFLOW_VERSION);
      mlmodel.put("model_size_bytes", size(dir));
      mlmodel.put("model_uuid", UUID.randomUUID().toString().replace("-", ""));
      mlmodel.put("run_id", runId);
      mlmodel.put("saved_input_example_info", Map.of(
          "artifact_path", INPUT_EXAMPLE, "pandas_orient", "split", "type", "dataframe"));
      Map<String, Object> signature = new LinkedHashMap<>();
      signature.put("inputs", JSON.writeValueAsString(columnSpecs(inputs)));
      signature.put("outputs", JSON.writeValueAsString(columnSpecs(outputs)));
      signature.put("params", null);
      mlmodel.put("signature", signature);
      mlmodel.put("utc_time_created", CREATED.format(ZonedDateTime.now(ZoneOffset.UTC)));
      Files.writeString(dir.resolve(MLMODEL), yaml().dump(mlmodel));
      return dir;
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the model directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Reads {@code dir/MLmodel}: the signature, the run and where the Spark model is. */
  @SuppressWarnings("unchecked")
  public static Description read(Path dir) {
    Path file = dir.resolve(MLMODEL);
    if (!Files.isRegularFile(file)) {
      throw new FraudLakeException(dir + " is not an MLflow model directory (no MLmodel file)");
    }
    try {
      Map<String, Object> mlmodel = yaml().load(Files.readString(file));
      Map<String, Object> flavors = (Map<String, Object>) mlmodel.getOrDefault("flavors", Map.of());
      Map<String, Object> spark = (Map<String, Object>) flavors.get("spark");
      if (spark == null) {
        throw new FraudLakeException("the model in " + dir + " has no spark flavor (flavors: " + flavors.keySet() + ")");
      }
      Map<String, Object> signature = (Map<String, Object>) mlmodel.get("signature");
      if (signature == null || signature.get("inputs") == null) {
        throw new FraudLakeException("the model in " + dir + " was logged without a signature; FraudLake needs one to check its inputs");
      }
      StructType inputs = fromColumnSpecs((String) signature.get("inputs"));
      StructType outputs = signature.get("outputs") == null ? new StructType() : fromColumnSpecs((String) signature.get("outputs"));
      String modelData = String.valueOf(spark.getOrDefault("model_data", SPARK_MODEL_DIR));
      Map<String, Object> metadata = (Map<String, Object>) mlmodel.getOrDefault("metadata", Map.of());
      return new Description(inputs, outputs, (String) mlmodel.get("run_id"), dir.resolve(modelData),
          metadata == null ? Map.of() : metadata);
    } catch (IOException | ClassCastException | org.yaml.snakeyaml.error.YAMLException e) {
      throw new FraudLakeException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Loads the saved PipelineModel of a model directory. */
  public static PipelineModel loadSparkModel(Description description) {
    return PipelineModel.load(description.sparkModel().toUri().toString());
  }

  private static List<Map<String, Object>> columnSpecs(StructType schema) {
    List<Map<String, Object>> specs = new ArrayList<>();
    for (StructField field : schema.fields()) {
      Map<String, Object> spec = new LinkedHashMap<>();
      spec.put("type", ModelFeatures.mlflowType(field.dataType()));
      spec.put("name", field.name());
      spec.put("required", true);
      specs.add(spec);
    }
    return specs;
  }

  private static StructType fromColumnSpecs(String json) throws IOException {
    List<Map<String, Object>> specs = JSON.readValue(json, new TypeReference<>() {});
    List<StructField> fields = new ArrayList<>();
    for (Map<String, Object> spec : specs) {
      Object name = spec.get("name");
      if (name == null) {
        throw new FraudLakeException("the model signature has an unnamed input; FraudLake reads inputs by name");
      }
      fields.add(DataTypes.createStructField(name.toString(), sparkType(String.valueOf(spec.get("type"))),
          !Boolean.TRUE.equals(spec.getOrDefault("required", true))));
    }
    return new StructType(fields.toArray(StructField[]::new));
  }

  private static DataType sparkType(String mlflowType) {
    return switch (mlflowType) {
      case "double" -> DataTypes.DoubleType;
      case "float" -> DataTypes.FloatType;
      case "integer" -> DataTypes.IntegerType;
      case "long" -> DataTypes.LongType;
      case "boolean" -> DataTypes.BooleanType;
      case "string" -> DataTypes.StringType;
      case "binary" -> DataTypes.BinaryType;
      case "datetime" -> DataTypes.TimestampType;
      default -> throw new FraudLakeException("the model signature has an input of MLflow type '" + mlflowType
          + "', which has no Spark column type");
    };
  }

  private static void writeInputExample(Path file, StructType inputs, Dataset<Row> example) throws IOException {
    List<List<Object>> data = new ArrayList<>();
    for (Row row : example.select(inputs.fieldNames()[0], java.util.Arrays.copyOfRange(inputs.fieldNames(), 1, inputs.size()))
        .collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < row.size(); i++) {
        values.add(row.get(i));
      }
      data.add(values);
    }
    Map<String, Object> split = new LinkedHashMap<>();
    split.put("columns", List.of(inputs.fieldNames()));
    split.put("data", data);
    Files.writeString(file, JSON.writeValueAsString(split));
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static Yaml yaml() {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(Integer.MAX_VALUE);
    // Plain maps, lists and scalars only: an MLmodel file must never instantiate classes.
    return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options);
  }
}
