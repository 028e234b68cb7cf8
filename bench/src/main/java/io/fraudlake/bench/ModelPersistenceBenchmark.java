package io.fraudlake.bench;

import static org.apache.spark.sql.functions.randn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.IsolationForestModel;
import io.fraudlake.iforest.extended.ExtendedIsolationForest;
import io.fraudlake.iforest.extended.ExtendedIsolationForestModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import scala.Option;

/**
 * Saving and loading a fitted forest, both forests at --trees 100 and 1000 trees (ψ = --samples 256,
 * --features 8, fitted on --rows 5000 rows of standard normal features, seed 1): FraudLake's
 * persistence (metadata and nodes written and read on the driver through Hadoop's FileSystem, no
 * Spark job: {@code model.write().save}, {@code Model.load}) against a reference measured in the same
 * run, the way Spark ML's tree models persist and FraudLake did before: metadata through
 * {@code DefaultParamsWriter.saveMetadata} / {@code DefaultParamsReader.loadMetadata}, and one
 * {@link Row} per node built on the driver, {@code createDataFrame(rows, schema).coalesce(1).write().parquet}
 * to save and {@code read().parquet(...).collectAsList()} to load, the rows then placed into per-node
 * arrays by tree and node as the old readers did.
 *
 * <p>The reference writes the columns FraudLake's writers write ({@code IsolationForestPersistence},
 * {@code ExtendedForestPersistence}), with the schema they declared before; the node values are taken
 * once, untimed, from the file FraudLake's writer made, so both write the same rows (the trees are not
 * public). Untimed checks: the reference's folder loads with FraudLake's reader (it reads the layout
 * Spark wrote) and both loaded models score rows as the fitted one does.
 *
 * <p>Each round saves each way to a fresh folder and loads it back, ours first in even rounds and the
 * reference first in odd ones, with a full GC before every timed operation; --warmup 1 untimed
 * rounds, then --reps 5 timed ones. Reported: medians of wall time and of the process's CPU time
 * (Spark's local executors included: the steadier figure on a shared machine), the ratios
 * reference / ours, and the reference's node part alone (without its metadata job).
 *
 * <p>Options: --trees 100,1000 --samples 256 --features 8 --rows 5000 --warmup 1 --reps 5 --work DIR
 * (default: a temporary folder, deleted at the end) --out FILE (one flat JSON object) --markdown FILE.
 */
public final class ModelPersistenceBenchmark {
  /** Keys Spark ML puts in every metadata file itself; the rest are the model's extra fields. */
  private static final Set<String> SPARK_METADATA_KEYS =
      Set.of("class", "timestamp", "sparkVersion", "uid", "paramMap", "defaultParamMap");
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelPersistenceBenchmark() {}

  /** One of FraudLake's forests, as far as saving and loading go. */
  private record Forest<M extends Model<M> & MLWritable & AnomalyModel>(String name, Class<M> modelClass,
      StructType nodeSchema, FitFunction<M> fit, Function<String, M> load) {}

  @FunctionalInterface
  private interface FitFunction<M> {
    M fit(Dataset<Row> data, int trees, int samples);
  }

  /** The standard forest's node columns, with the schema FraudLake's writer declared before NodeTable. */
  private static final Forest<IsolationForestModel> STANDARD = new Forest<>("standard", IsolationForestModel.class,
      new StructType()
          .add("tree", DataTypes.IntegerType, false)
          .add("node", DataTypes.IntegerType, false)
          .add("feature", DataTypes.IntegerType, false)
          .add("split", DataTypes.DoubleType, false)
          .add("left", DataTypes.IntegerType, false)
          .add("right", DataTypes.IntegerType, false)
          .add("size", DataTypes.IntegerType, false),
      (data, trees, samples) -> new IsolationForest().setNumTrees(trees).setMaxSamples(samples).setSeed(1).fit(data),
      IsolationForestModel::load);

  private static final Forest<ExtendedIsolationForestModel> EXTENDED = new Forest<>("extended",
      ExtendedIsolationForestModel.class,
      new StructType()
          .add("tree", DataTypes.IntegerType, false)
          .add("node", DataTypes.IntegerType, false)
          .add("left", DataTypes.IntegerType, false)
          .add("size", DataTypes.IntegerType, false)
          .add("offset", DataTypes.DoubleType, false)
          .add("normal", DataTypes.createArrayType(DataTypes.DoubleType, false), false),
      (data, trees, samples) -> new ExtendedIsolationForest().setNumTrees(trees).setMaxSamples(samples).setSeed(1)
          .fit(data),
      ExtendedIsolationForestModel::load);

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int[] treeCounts = Arrays.stream(args.string("trees", "100,1000").split(",")).map(String::trim)
        .mapToInt(Integer::parseInt).toArray();
    int samples = args.intValue("samples", 256);
    int features = args.intValue("features", 8);
    int rows = args.intValue("rows", 5_000);
    int warmup = args.intValue("warmup", 1);
    int reps = args.intValue("reps", 5);
    boolean tempWork = !args.has("work");
    Path work = tempWork ? Files.createTempDirectory("fraudlake-persistence-") : Path.of(args.required("work"));
    Files.createDirectories(work);

    SparkSession spark = Spark.localSession("model-persistence-benchmark");
    Map<String, Object> result = new LinkedHashMap<>();
    List<Map<String, Object>> cases = new ArrayList<>();
    try {
      Dataset<Row> data = data(spark, rows, features);
      result.put("impl", "model_persistence");
      result.put("engine", "Spark " + spark.version() + " " + spark.sparkContext().master());
      result.put("samples", samples);
      result.put("features", features);
      result.put("fit_rows", rows);
      result.put("warmup", warmup);
      result.put("reps", reps);
      for (Forest<?> forest : List.of(STANDARD, EXTENDED)) {
        for (int trees : treeCounts) {
          Map<String, Object> measured = measure(spark, forest, data, trees, samples, warmup, reps,
              work.resolve(forest.name() + "-" + trees));
          measured.forEach((k, v) -> result.put(forest.name() + "_" + trees + "_" + k, v));
          Map<String, Object> row = new LinkedHashMap<>(measured);
          row.put("forest", forest.name());
          row.put("trees", trees);
          cases.add(row);
        }
      }
    } finally {
      spark.stop();
      if (tempWork) {
        BenchFiles.deleteFolder(work);
      }
    }
    String markdown = markdown(cases);
    System.out.println(markdown);
    if (args.has("out")) {
      BenchFiles.writeJson(Path.of(args.required("out")), result);
    }
    if (args.has("markdown")) {
      Files.writeString(Path.of(args.required("markdown")), markdown);
    }
  }

  private static Dataset<Row> data(SparkSession spark, int rows, int features) {
    Column[] columns = new Column[features];
    String[] names = new String[features];
    for (int f = 0; f < features; f++) {
      names[f] = "f" + f;
      columns[f] = randn(f).as(names[f]);
    }
    Dataset<Row> data = new VectorAssembler().setInputCols(names).setOutputCol("features")
        .transform(spark.range(0, rows, 1, 2).select(columns)).select("features").cache();
    data.count();
    return data;
  }

  private static <M extends Model<M> & MLWritable & AnomalyModel> Map<String, Object> measure(SparkSession spark,
      Forest<M> forest, Dataset<Row> data, int trees, int samples, int warmup, int reps, Path dir) throws IOException {
    M model = forest.fit().fit(data, trees, samples);
    Path first = dir.resolve("nodes-source");
    model.write().save(first.toString());
    NodeColumns nodes = NodeColumns.read(spark, first.resolve("data").toString(), forest.nodeSchema());
    ObjectNode extra = extraMetadata(spark, first.toString(), forest.modelClass());
    long oursBytes = bytes(first);
    BenchFiles.deleteFolder(first);
    System.err.printf(Locale.ROOT, "%s forest, %d trees: %d nodes%n", forest.name(), trees, nodes.rows);

    List<Double> oursSave = new ArrayList<>();
    List<Double> oursLoad = new ArrayList<>();
    List<Double> refSave = new ArrayList<>();
    List<Double> refLoad = new ArrayList<>();
    List<Double> oursSaveCpu = new ArrayList<>();
    List<Double> oursLoadCpu = new ArrayList<>();
    List<Double> refSaveCpu = new ArrayList<>();
    List<Double> refLoadCpu = new ArrayList<>();
    List<Double> refSaveNodes = new ArrayList<>();
    List<Double> refLoadNodes = new ArrayList<>();
    long refBytes = 0;
    for (int round = 0; round < warmup + reps; round++) {
      boolean timed = round >= warmup;
      Path ours = dir.resolve("round-" + round + "-ours");
      Path ref = dir.resolve("round-" + round + "-reference");

      // Ours first in even rounds, the reference first in odd ones, so neither always follows the other.
      double[] os = null;
      double[] ol = null;
      double[] rs = null;
      double[] rl = null;
      M loaded = null;
      NodeColumns refPlaced = null;
      // The reference's node part alone (without its metadata job), in ms: save, load.
      double[] refNodes = new double[2];
      for (int turn = 0; turn < 2; turn++) {
        if ((turn + round) % 2 == 0) {
          os = timed(() -> model.write().save(ours.toString()));
          Object[] out = new Object[1];
          ol = timed(() -> out[0] = forest.load().apply(ours.toString()));
          loaded = forest.modelClass().cast(out[0]);
        } else {
          rs = timed(() -> refNodes[0] = referenceSave(spark, model, extra, nodes, ref.toString()));
          ReferenceLoad[] out = new ReferenceLoad[1];
          rl = timed(() -> out[0] = referenceLoad(spark, forest.modelClass(), nodes.schema, ref.toString()));
          refPlaced = out[0].placed();
          refNodes[1] = out[0].nodesMs();
        }
      }
      System.err.printf(Locale.ROOT, "%s round %d: ours save %.0f ms, load %.0f ms; reference save %.0f ms, "
          + "load %.0f ms%n", timed ? "timed" : "warm-up", round, os[0], ol[0], rs[0], rl[0]);
      if (round == warmup + reps - 1) {
        // Untimed: fast persistence that lost or changed nodes would be no result.
        check(model, loaded, "FraudLake's own save and load");
        check(model, forest.load().apply(ref.toString()), "FraudLake's reader on the reference's folder");
        if (refPlaced.checksum() != nodes.checksum()) {
          throw new IllegalStateException("the reference loaded other node values than it saved");
        }
        refBytes = bytes(ref);
      }
      if (timed) {
        oursSave.add(os[0]);
        oursSaveCpu.add(os[1]);
        oursLoad.add(ol[0]);
        oursLoadCpu.add(ol[1]);
        refSave.add(rs[0]);
        refSaveCpu.add(rs[1]);
        refLoad.add(rl[0]);
        refLoadCpu.add(rl[1]);
        refSaveNodes.add(refNodes[0]);
        refLoadNodes.add(refNodes[1]);
      }
      BenchFiles.deleteFolder(ours);
      BenchFiles.deleteFolder(ref);
    }
    BenchFiles.deleteFolder(dir);

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("nodes", nodes.rows);
    m.put("ours_kib", oursBytes / 1024);
    m.put("reference_kib", refBytes / 1024);
    m.put("ours_save_ms", Measurement.median(oursSave));
    m.put("reference_save_ms", Measurement.median(refSave));
    m.put("save_ratio", Measurement.median(refSave) / Measurement.median(oursSave));
    m.put("ours_load_ms", Measurement.median(oursLoad));
    m.put("reference_load_ms", Measurement.median(refLoad));
    m.put("load_ratio", Measurement.median(refLoad) / Measurement.median(oursLoad));
    m.put("ours_save_cpu_ms", Measurement.median(oursSaveCpu));
    m.put("reference_save_cpu_ms", Measurement.median(refSaveCpu));
    m.put("save_cpu_ratio", Measurement.median(refSaveCpu) / Measurement.median(oursSaveCpu));
    m.put("ours_load_cpu_ms", Measurement.median(oursLoadCpu));
    m.put("reference_load_cpu_ms", Measurement.median(refLoadCpu));
    m.put("load_cpu_ratio", Measurement.median(refLoadCpu) / Measurement.median(oursLoadCpu));
    m.put("reference_save_nodes_ms", Measurement.median(refSaveNodes));
    m.put("reference_load_nodes_ms", Measurement.median(refLoadNodes));
    m.put("ours_save_ms_all", whole(oursSave));
    m.put("reference_save_ms_all", whole(refSave));
    m.put("ours_load_ms_all", whole(oursLoad));
    m.put("reference_load_ms_all", whole(refLoad));
    return m;
  }

  /** The model's own metadata fields (format, numTrees, ...) from a folder FraudLake saved, for the reference to write too. */
  private static ObjectNode extraMetadata(SparkSession spark, String path, Class<?> modelClass) throws IOException {
    DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, spark, modelClass.getName());
    ObjectNode extra = JSON.createObjectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = JSON.readTree(metadata.metadataJson()).fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!SPARK_METADATA_KEYS.contains(field.getKey())) {
        extra.set(field.getKey(), field.getValue());
      }
    }
    return extra;
  }

  private static String whole(List<Double> ms) {
    return ms.stream().map(v -> Long.toString(Math.round(v))).collect(Collectors.joining(", ", "[", "]"));
  }

  /**
   * Saving as Spark ML's tree models do and FraudLake did: a Spark job for the metadata, one for the
   * nodes. Returns the milliseconds of the node part.
   */
  private static double referenceSave(SparkSession spark, Params model, ObjectNode extra, NodeColumns nodes,
      String path) {
    DefaultParamsWriter$.MODULE$.saveMetadata(model, path, spark,
        Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(extra)));
    long start = System.nanoTime();
    List<Row> rows = new ArrayList<>(nodes.rows);
    for (int r = 0; r < nodes.rows; r++) {
      rows.add(nodes.row(r));
    }
    spark.createDataFrame(rows, nodes.schema).coalesce(1).write().parquet(path + "/data");
    return (System.nanoTime() - start) / 1e6;
  }

  /**
   * Loading as the old readers did: metadata through Spark, every node row collected to the driver,
   * then placed by tree and node with the same checks.
   */
  private static ReferenceLoad referenceLoad(SparkSession spark, Class<?> modelClass, StructType schema, String path)
      throws IOException {
    DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(path, spark, modelClass.getName());
    int numTrees = JSON.readTree(metadata.metadataJson()).get("numTrees").asInt();
    long start = System.nanoTime();
    List<Row> rows = spark.read().parquet(path + "/data").select(columnsOf(schema)).collectAsList();
    int[] nodeCounts = new int[numTrees];
    for (Row row : rows) {
      int t = row.getInt(0);
      int n = row.getInt(1);
      if (t < 0 || t >= numTrees || n < 0) {
        throw new IllegalStateException("node " + n + " of tree " + t + " in a forest of " + numTrees + " trees");
      }
      nodeCounts[t] = Math.max(nodeCounts[t], n + 1);
    }
    int[] firstNode = new int[numTrees + 1];
    for (int t = 0; t < numTrees; t++) {
      firstNode[t + 1] = firstNode[t] + nodeCounts[t];
    }
    if (rows.size() != firstNode[numTrees]) {
      throw new IllegalStateException("missing or duplicate nodes in " + path);
    }
    NodeColumns placed = new NodeColumns(schema, rows.size());
    boolean[] present = new boolean[rows.size()];
    for (Row row : rows) {
      int at = firstNode[row.getInt(0)] + row.getInt(1);
      if (present[at]) {
        throw new IllegalStateException("node " + row.getInt(1) + " of tree " + row.getInt(0) + " appears twice");
      }
      present[at] = true;
      placed.set(at, row);
    }
    return new ReferenceLoad(placed, (System.nanoTime() - start) / 1e6);
  }

  /** The node values the reference's reader placed, and the milliseconds of its node part. */
  private record ReferenceLoad(NodeColumns placed, double nodesMs) {}

  private static Column[] columnsOf(StructType schema) {
    return Arrays.stream(schema.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }

  private static void check(AnomalyModel fitted, AnomalyModel loaded, String what) {
    Random random = new Random(3);
    double[] row = new double[fitted.numFeatures()];
    for (int i = 0; i < 1_000; i++) {
      for (int f = 0; f < row.length; f++) {
        row[f] = random.nextGaussian() * (i % 10 == 0 ? 4 : 1);
      }
      if (fitted.scoreRow(row) != loaded.scoreRow(row) || fitted.threshold() != loaded.threshold()) {
        throw new IllegalStateException(what + ": the loaded model scores rows differently from the fitted one");
      }
    }
  }

  private static long bytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    }
  }

  private static String markdown(List<Map<String, Object>> cases) {
    StringBuilder b = new StringBuilder()
        .append("Medians in ms; ratio = reference / ours (Spark ML's way: a Row per node through a DataFrame, "
            + "metadata through a Spark job).\n\n")
        .append("| forest | trees | nodes | save ours | save reference | save ratio | load ours | load reference "
            + "| load ratio | CPU ratio save / load | KiB ours / reference |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Map<String, Object> c : cases) {
      b.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.1fx | %.0f | %.0f | %.1fx | %.1fx / %.1fx "
              + "| %d / %d |%n",
          c.get("forest"), (Integer) c.get("trees"), (Integer) c.get("nodes"), (Double) c.get("ours_save_ms"),
          (Double) c.get("reference_save_ms"), (Double) c.get("save_ratio"), (Double) c.get("ours_load_ms"),
          (Double) c.get("reference_load_ms"), (Double) c.get("load_ratio"), (Double) c.get("save_cpu_ratio"),
          (Double) c.get("load_cpu_ratio"), (Long) c.get("ours_kib"), (Long) c.get("reference_kib")));
    }
    return b.toString();
  }

  @FunctionalInterface
  private interface Operation {
    void run() throws IOException;
  }

  /**
   * Wall and process CPU time of one operation, in milliseconds, after a full GC: the reference's
   * Row lists are garbage the next operation would otherwise pay for.
   */
  private static double[] timed(Operation operation) throws IOException {
    System.gc();
    long wall = System.nanoTime();
    long cpu = processCpuNanos();
    operation.run();
    return new double[] {(System.nanoTime() - wall) / 1e6, (processCpuNanos() - cpu) / 1e6};
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Node values column by column: what the reference's writer turns into one Row per node, and what
   * its reader places them into.
   */
  private static final class NodeColumns {
    final StructType schema;
    final int rows;
    private final Object[] columns;

    NodeColumns(StructType schema, int rows) {
      this.schema = schema;
      this.rows = rows;
      columns = new Object[schema.size()];
      for (int c = 0; c < columns.length; c++) {
        DataType type = schema.fields()[c].dataType();
        columns[c] = type.equals(DataTypes.IntegerType) ? new int[rows]
            : type.equals(DataTypes.DoubleType) ? new double[rows] : new double[rows][];
      }
    }

    /** The node values in the file FraudLake wrote, after checking it holds the reference's columns. */
    static NodeColumns read(SparkSession spark, String dataPath, StructType schema) {
      Dataset<Row> file = spark.read().parquet(dataPath);
      List<String> expected = new ArrayList<>();
      List<String> found = new ArrayList<>();
      for (StructField f : schema.fields()) {
        expected.add(f.name() + " " + f.dataType().simpleString());
      }
      for (StructField f : file.schema().fields()) {
        found.add(f.name() + " " + f.dataType().simpleString());
      }
      if (!expected.equals(found)) {
        throw new IllegalStateException("FraudLake's node file has columns " + found + ", the reference writes "
            + expected + ": update the reference's schema");
      }
      List<Row> collected = file.collectAsList();
      NodeColumns nodes = new NodeColumns(schema, collected.size());
      for (int r = 0; r < collected.size(); r++) {
        nodes.set(r, collected.get(r));
      }
      return nodes;
    }

    void set(int at, Row row) {
      for (int c = 0; c < columns.length; c++) {
        if (columns[c] instanceof int[] ints) {
          ints[at] = row.getInt(c);
        } else if (columns[c] instanceof double[] doubles) {
          doubles[at] = row.getDouble(c);
        } else {
          List<Double> list = row.getList(c);
          double[] values = new double[list.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = list.get(i);
          }
          ((double[][]) columns[c])[at] = values;
        }
      }
    }

    /** One node's Row, with its own copy of any array (as the old writers copied each normal out of the tree). */
    Row row(int r) {
      Object[] values = new Object[columns.length];
      for (int c = 0; c < columns.length; c++) {
        if (columns[c] instanceof int[] ints) {
          values[c] = ints[r];
        } else if (columns[c] instanceof double[] doubles) {
          values[c] = doubles[r];
        } else {
          values[c] = ((double[][]) columns[c])[r].clone();
        }
      }
      return RowFactory.create(values);
    }

    /** Equal for the same values in the same positions (tree after tree, node order within a tree). */
    long checksum() {
      long sum = 0;
      for (Object column : columns) {
        if (column instanceof int[] ints) {
          for (int i = 0; i < rows; i++) {
            sum = sum * 31 + ints[i];
          }
        } else if (column instanceof double[] doubles) {
          for (int i = 0; i < rows; i++) {
            sum = sum * 31 + Double.doubleToLongBits(doubles[i]);
          }
        } else {
          for (int i = 0; i < rows; i++) {
            sum = sum * 31 + Arrays.hashCode(((double[][]) column)[i]);
          }
        }
      }
      return sum;
    }
  }
}
