package io.fraudlake.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * MLflow's model directory format around a Spark ML model saved with Spark's own ML persistence:
 *
 * <pre>
 * MLmodel                       YAML: artifact_path, flavors.spark (model_data: sparkml,
 *                               pyspark_version, model_class), mlflow_version, model_uuid, run_id,
 *                               utc_time_created, signature (inputs/outputs as JSON strings),
 *                               saved_input_example_info, model_size_bytes
 * input_example.json            {"columns": [...], "data": [[...]]} (pandas "split" orient)
 * serving_input_example.json    {"dataframe_split": {...}}, what MLflow 2.x serving accepts
 * sparkml/                      the Spark ML model (model.write().save(...))
 * any extra files               e.g. feature reference statistics for drift, plots
 * </pre>
 *
 * <p>No {@code python_function} flavor is written: it would promise a Python environment that
 * FraudLake does not produce.
 */
public final class MlflowModelDirectory {
  public static final String MLMODEL = "MLmodel";
  public static final String SPARK_MODEL_DIR = "sparkml";
  public static final String INPUT_EXAMPLE = "input_example.json";
  public static final String SERVING_INPUT_EXAMPLE = "serving_input_example.json";
  /** The MLflow release whose model format this writes (the mlflow-client version FraudLake builds with). */
  public static final String MLFLOW_VERSION = "2.17.2";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter UTC_CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private final Path directory;
  private final Map<String, Object> mlmodel;
  private final Signature signature;

  private MlflowModelDirectory(Path directory, Map<String, Object> mlmodel, Signature signature) {
    this.directory = directory;
    this.mlmodel = mlmodel;
    this.signature = signature;
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /** Reads an MLflow model directory (for example one downloaded from the registry). */
  @SuppressWarnings("unchecked")
  public static MlflowModelDirectory read(Path directory) {
    Path file = directory.resolve(MLMODEL);
    if (!Files.isRegularFile(file)) {
      throw new FraudLakeException("not an MLflow model directory: " + directory + " has no " + MLMODEL + " file");
    }
    Map<String, Object> mlmodel = YamlFiles.read(file);
    Object flavors = mlmodel.get("flavors");
    if (!(flavors instanceof Map<?, ?> f) || !(f.get("spark") instanceof Map)) {
      throw new FraudLakeException("the MLflow model at " + directory + " has no spark flavor");
    }
    Object sig = mlmodel.get("signature");
    if (!(sig instanceof Map<?, ?> s) || s.get("inputs") == null) {
      throw new FraudLakeException("the MLflow model at " + directory + " has no signature");
    }
    Signature signature = Signature.fromJson(String.valueOf(s.get("inputs")),
        s.get("outputs") == null ? null : String.valueOf(s.get("outputs")));
    MlflowModelDirectory model = new MlflowModelDirectory(directory, mlmodel, signature);
    if (!Files.isDirectory(model.sparkModelPath())) {
      throw new FraudLakeException("the MLflow model at " + directory + " lacks its Spark model folder "
          + model.sparkModelPath().getFileName());
    }
    return model;
  }

  public Path directory() {
    return directory;
  }

  /** Where the Spark ML model is, ready for {@code PipelineModel.load} or the model's own loader. */
  @SuppressWarnings("unchecked")
  public Path sparkModelPath() {
    Map<String, Object> spark = (Map<String, Object>) ((Map<String, Object>) mlmodel.get("flavors")).get("spark");
    String modelData = String.valueOf(spark.getOrDefault("model_data", SPARK_MODEL_DIR));
    // The MLmodel file may come from a server: its path must stay inside the model directory.
    Path base = directory.toAbsolutePath().normalize();
    Path resolved = base.resolve(modelData).normalize();
    if (modelData.startsWith("/") || modelData.contains("\\") || Path.of(modelData).isAbsolute()
        || !resolved.startsWith(base) || resolved.equals(base)) {
      throw new FraudLakeException("the MLflow model at " + directory + " puts its Spark model at '" + modelData
          + "', outside its own folder; refusing to load it");
    }
    return resolved;
  }

  public Signature signature() {
    return signature;
  }

  public Optional<String> runId() {
    return Optional.ofNullable(mlmodel.get("run_id")).map(String::valueOf);
  }

  public String artifactPath() {
    return String.valueOf(mlmodel.get("artifact_path"));
  }

  public String modelUuid() {
    return String.valueOf(mlmodel.get("model_uuid"));
  }

  public String utcTimeCreated() {
    return String.valueOf(mlmodel.get("utc_time_created"));
  }

  @SuppressWarnings("unchecked")
  public String sparkVersion() {
    Map<String, Object> spark = (Map<String, Object>) ((Map<String, Object>) mlmodel.get("flavors")).get("spark");
    return String.valueOf(spark.get("pyspark_version"));
  }

  /** The MLmodel file's content as parsed YAML. */
  public Map<String, Object> mlmodel() {
    return mlmodel;
  }

  /** An extra file stored beside the model (e.g. {@code feature_reference_stats.json}), if present. */
  public Optional<Path> file(String relativePath) {
    Path p = directory.resolve(ArtifactPaths.normalize(relativePath));
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** Writes a new model directory; the directory must not exist or be empty. */
  public static final class Builder {
    private final Path directory;
    private String artifactPath = "model";
    private String runId;
    private Signature signature;
    private List<String> exampleColumns;
    private List<List<Object>> exampleRows;
    private Path savedSparkModel;
    private Consumer<Path> sparkModelWriter;
    private String modelClass;
    private final Map<String, Path> extraFiles = new LinkedHashMap<>();
    private final Map<String, String> extraContent = new LinkedHashMap<>();

    private Builder(Path directory) {
      this.directory = directory;
    }

    public Builder artifactPath(String artifactPath) {
      this.artifactPath = ArtifactPaths.normalize(artifactPath);
      return this;
    }

    public Builder runId(String runId) {
      this.runId = runId;
      return this;
    }

    public Builder signature(Signature signature) {
      this.signature = signature;
      return this;
    }

    /** Uses these rows (keep them few) as the input example; their columns are the example's columns. */
    public Builder inputExample(Dataset<Row> rows) {
      List<String> columns = List.of(rows.columns());
      List<List<Object>> data = new ArrayList<>();
      for (Row row : rows.collectAsList()) {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i < row.size(); i++) {
          Object v = row.get(i);
          values.add(v instanceof java.util.Date || v instanceof java.time.temporal.Temporal ? v.toString() : v);
        }
        data.add(values);
      }
      return inputExample(columns, data);
    }

    public Builder inputExample(List<String> columns, List<List<Object>> rows) {
      this.exampleColumns = List.copyOf(columns);
      this.exampleRows = rows.stream().map(r -> (List<Object>) new ArrayList<>(r)).toList();
      return this;
    }

    /** Copies a Spark ML model that was already saved with {@code model.write().save(dir)}. */
    public Builder sparkModel(Path savedModelDirectory, String modelClass) {
      this.savedSparkModel = savedModelDirectory;
      this.modelClass = modelClass;
      return this;
    }

    /** Lets the caller save the model itself, e.g. {@code p -> model.write().save(p.toString())}. */
    public Builder sparkModel(Consumer<Path> writer, String modelClass) {
      this.sparkModelWriter = writer;
      this.modelClass = modelClass;
      return this;
    }

    public Builder extraFile(String relativePath, Path source) {
      extraFiles.put(ArtifactPaths.normalize(relativePath), ArtifactPaths.requireFile(source));
      return this;
    }

    public Builder extraFile(String relativePath, String content) {
      extraContent.put(ArtifactPaths.normalize(relativePath), content);
      return this;
    }

    public MlflowModelDirectory write() {
      if (signature == null) {
        throw new FraudLakeException("an MLflow model needs a signature");
      }
      if (savedSparkModel == null && sparkModelWriter == null) {
        throw new FraudLakeException("an MLflow model needs its Spark model");
      }
      try {
        if (Files.isDirectory(directory)) {
          try (var entries = Files.list(directory)) {
            if (entries.findAny().isPresent()) {
              throw new FraudLakeException("cannot write an MLflow model into " + directory + ": it is not empty");
            }
          }
        }
        Files.createDirectories(directory);
        Path sparkDir = directory.resolve(SPARK_MODEL_DIR);
        if (savedSparkModel != null) {
          ArtifactPaths.requireDirectory(savedSparkModel);
          for (String rel : ArtifactPaths.listFiles(savedSparkModel)) {
            Path target = sparkDir.resolve(rel);
            Files.createDirectories(target.getParent());
            Files.copy(savedSparkModel.resolve(rel), target, StandardCopyOption.REPLACE_EXISTING);
          }
        } else {
          sparkModelWriter.accept(sparkDir);
        }
        if (!Files.isDirectory(sparkDir)) {
          throw new FraudLakeException("the Spark model was not saved into " + sparkDir);
        }
        for (Map.Entry<String, Path> e : extraFiles.entrySet()) {
          Path target = directory.resolve(e.getKey());
          Files.createDirectories(target.getParent());
          Files.copy(e.getValue(), target, StandardCopyOption.REPLACE_EXISTING);
        }
        for (Map.Entry<String, String> e : extraContent.entrySet()) {
          YamlFiles.writeString(directory.resolve(e.getKey()), e.getValue());
        }
        Map<String, Object> mlmodel = new LinkedHashMap<>();
        mlmodel.put("artifact_path", artifactPath);
        Map<String, Object> spark = new LinkedHashMap<>();
        spark.put("code", null);
        spark.put("model_class", modelClass);
        spark.put("model_data", SPARK_MODEL_DIR);
        spark.put("pyspark_version", org.apache.spark.package$.MODULE$.SPARK_VERSION());
        mlmodel.put("flavors", Map.of("spark", spark));
        mlmodel.put("mlflow_version", MLFLOW_VERSION);
        mlmodel.put("model_uuid", UUID.randomUUID().toString().replace("-", ""));
        mlmodel.put("run_id", runId);
        if (exampleColumns != null) {
          writeExamples();
          Map<String, Object> info = new LinkedHashMap<>();
          info.put("artifact_path", INPUT_EXAMPLE);
          info.put("pandas_orient", "split");
          info.put("serving_input_path", SERVING_INPUT_EXAMPLE);
          info.put("type", "dataframe");
          mlmodel.put("saved_input_example_info", info);
        }
        Map<String, Object> sig = new LinkedHashMap<>();
        sig.put("inputs", signature.inputsJson());
        sig.put("outputs", signature.outputsJson());
        sig.put("params", null);
        mlmodel.put("signature", sig);
        mlmodel.put("utc_time_created", UTC_CREATED.format(LocalDateTime.now(ZoneOffset.UTC)));
        mlmodel.put("model_size_bytes", sizeOf(directory));
        YamlFiles.write(directory.resolve(MLMODEL), mlmodel);
        return read(directory);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the MLflow model at " + directory, e);
      }
    }

    private void writeExamples() throws IOException {
      ObjectNode split = JSON.createObjectNode();
      ArrayNode columns = split.putArray("columns");
      exampleColumns.forEach(columns::add);
      ArrayNode data = split.putArray("data");
      for (List<Object> row : exampleRows) {
        data.add(JSON.valueToTree(row));
      }
      Files.writeString(directory.resolve(INPUT_EXAMPLE), JSON.writeValueAsString(split));
      ObjectNode serving = JSON.createObjectNode();
      serving.set("dataframe_split", split);
      Files.writeString(directory.resolve(SERVING_INPUT_EXAMPLE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(serving));
    }

    private static long sizeOf(Path dir) throws IOException {
      long total = 0;
      for (String rel : ArtifactPaths.listFiles(dir)) {
        total += Files.size(dir.resolve(rel));
      }
      return total;
    }
  }
}
