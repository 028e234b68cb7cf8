package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.EvaluationPlots;
import io.fraudlake.evaluation.EvaluationReport;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.registry.Signature;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code train}: silver → out-of-time split → fit → evaluate on the later window → a tracked run
 * with params, metrics, plots and the model → a new registered version with an alias.
 *
 * <p>The run is opened before any work so a failure leaves a FAILED run behind (as an MLflow user
 * expects from {@code with mlflow.start_run()}) rather than nothing.
 */
public final class TrainingJob {
  /** Artifact folders inside a run. */
  public static final String MODEL_ARTIFACT = "model";
  public static final String EVALUATION_ARTIFACT = "evaluation";
  public static final String REPORT_FILE = "evaluation_report.json";
  /** Run tag naming the quality floors a model missed (the run keeps its metrics; no version is registered). */
  public static final String QUALITY_TAG = "fraudlake.quality_floors";

  /** What the model adds to its input: the signature's outputs. */
  public static final org.apache.spark.sql.types.StructType OUTPUTS = new org.apache.spark.sql.types.StructType()
      .add(ModelFeatures.SCORE, org.apache.spark.sql.types.DataTypes.DoubleType, false)
      .add(ModelFeatures.PREDICTION, org.apache.spark.sql.types.DataTypes.BooleanType, false);

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How many evaluation rows the registered copy must score exactly as the trained model did. */
  static final int READ_BACK_ROWS = 1_000;

  private final Lakehouse lakehouse;
  private final ModelStore models;
  private final ModelRegistry registry;
  private final Progress progress;

  public TrainingJob(Lakehouse lakehouse, ModelStore models, Progress progress) {
    this.lakehouse = lakehouse;
    this.models = models;
    this.registry = models.registry();
    this.progress = progress;
  }

  /**
   * Trains, evaluates, logs and registers. The new version gets {@code alias}; when the model has
   * no {@code prodAlias} yet (its first version) it gets that too, so scoring has a model at once.
   */
  public TrainingResult run(TrainingSettings settings, String alias, String prodAlias) {
    Dataset<Row> silver = progress.step("reading " + Tables.SILVER, () -> readSilver(), rows -> String.format(Locale.ROOT,
        "%,d rows", rows.count()));
    try {
      return runOn(settings, silver, alias, prodAlias);
    } finally {
      silver.unpersist(false);
    }
  }

  /**
   * Like {@link #run} on only the silver rows the caller chose (a drift simulation trains on its
   * reference period or its latest batches, not on all of silver), split and registered the same way.
   */
  public TrainingResult runOn(TrainingSettings settings, Dataset<Row> silver, String alias, String prodAlias) {
    TimeSplit split = settings.trainUntil() != null
        ? TimeSplit.until(silver, settings.trainUntil())
        : TimeSplit.byFraction(silver, settings.trainFraction());
    Windows windows = progress.step("splitting by event time", () -> describe(split), Windows::describe);
    requireUsable(windows, settings);

    String experimentId = registry.getOrCreateExperiment(settings.experiment());
    String runId = registry.startRun(experimentId, null, Map.of("fraudlake.command", "train"));
    progress.line(String.format("  run %s in experiment '%s' (%s)", runId, settings.experiment(), registry.describe()));
    try {
      return trainAndLog(settings, alias, prodAlias, split, windows, experimentId, runId);
    } catch (RuntimeException | Error e) {
      endQuietly(runId);
      throw e;
    }
  }

  private TrainingResult trainAndLog(TrainingSettings settings, String alias, String prodAlias, TimeSplit split,
      Windows windows, String experimentId, String runId) {
    LoggedModel logged = fitEvaluateAndLog(settings, split, windows, runId);
    requireQuality(settings, runId, logged.metrics());
    Registered registered = register(settings.modelName(), runId, logged.model(), split, alias, prodAlias);
    registry.endRun(runId, RunStatus.FINISHED);
    return new TrainingResult(settings.modelName(), experimentId, runId, registered.version().version(),
        registered.aliases(), windows.train(), windows.evaluation(), logged.metrics(), logged.report().summaryLines(),
        logged.reportDir(), logged.plots(), registry.describe());
  }

  /**
   * With the quality floors enforced, refuses a model whose held-out metrics (logged in {@code runId})
   * fall below them: before any version exists, so there is nothing for promote or score to pick up.
   */
  void requireQuality(TrainingSettings settings, String runId, Map<String, Double> metrics) {
    QualityFloors floors = settings.quality();
    if (!floors.enforced()) {
      return;
    }
    java.util.Optional<String> shortfall = floors.shortfall(metrics);
    if (shortfall.isEmpty()) {
      progress.line("  quality floors reached: " + floors.describe(metrics));
      return;
    }
    try {
      registry.setTags(runId, Map.of(QUALITY_TAG, "below: " + shortfall.get()));
    } catch (RuntimeException ignored) {
      // The refusal below is what the user needs to see; the tag only helps find the run later.
    }
    throw new FraudLakeException("model quality below the floor: " + shortfall.get() + "; " + settings.modelName()
        + " was not registered (run " + runId + " keeps the metrics)");
  }

  /** A detector fitted, evaluated and logged into its run: what registering and comparing need of it. */
  record LoggedModel(String algorithm, PipelineModel model, EvaluationReport report, Map<String, Double> metrics,
      Path reportDir, List<Path> plots) {}

  /** A registered version and the aliases now on it. */
  record Registered(ModelVersionInfo version, List<String> aliases) {}

  /**
   * Fits the pipeline on the split's training rows, scores its labelled evaluation rows, and logs
   * params, metrics (with the fit time and the scoring throughput), the report's plots and the model
   * directory into {@code runId}.
   */
  LoggedModel fitEvaluateAndLog(TrainingSettings settings, TimeSplit split, Windows windows, String runId) {
    long fitStart = System.nanoTime();
    PipelineModel model = progress.step(String.format(Locale.ROOT,
            "fitting VectorAssembler -> StandardScaler -> %s on %,d rows", describe(settings), windows.train().rows()),
        () -> ModelTrainer.fit(settings, split.train()),
        m -> String.format(Locale.ROOT, "threshold %.4f", ModelTrainer.detector(m).threshold()));
    double fitSeconds = (System.nanoTime() - fitStart) / 1e9;
    double threshold = ModelTrainer.detector(model).threshold();

    Dataset<Row> labelled = split.evaluation().where(col(ModelFeatures.LABEL).isNotNull());
    long scoreStart = System.nanoTime();
    Dataset<Row> scored = progress.step(String.format(Locale.ROOT, "scoring %,d labelled evaluation rows", windows.labelled()),
        () -> {
          Dataset<Row> s = model.transform(labelled)
              .select(col(ModelFeatures.SCORE), col(ModelFeatures.LABEL), col(ModelFeatures.PREDICTION))
              .persist(StorageLevel.MEMORY_AND_DISK());
          s.count();
          return s;
        }, s -> "done");
    double scoringRowsPerSecond = windows.labelled() / Math.max(1e-9, (System.nanoTime() - scoreStart) / 1e9);
    try {
      Path reportDir = lakehouse.config().reportsDir().resolve(runId);
      EvaluationReport report = progress.step("evaluating on the held-out window",
          () -> EvaluationReport.compute(scored, threshold),
          r -> String.format(Locale.ROOT, "ROC-AUC %.4f, PR-AUC %.4f", r.rocAuc(), r.prAuc()));
      List<Path> plots = progress.step("writing the report and plots to " + reportDir,
          () -> writeReport(report, reportDir), p -> p.size() + " plots");

      FeatureReference reference = FeatureReference.compute(split.train(), ModelFeatures.NAMES, settings.referenceBins());
      Map<String, Double> metrics = metrics(report, windows, fitSeconds);
      metrics.put("scoring_rows_per_second", scoringRowsPerSecond);
      progress.step("logging params, metrics, plots and the model to the run", () -> {
        registry.logParams(runId, params(settings, split, windows));
        registry.logMetrics(runId, metrics, 0);
        registry.logArtifacts(runId, reportDir, EVALUATION_ARTIFACT);
        logModel(runId, model, reference, split.train());
      });
      return new LoggedModel(settings.algorithm(), model, report, metrics, reportDir, plots);
    } finally {
      scored.unpersist(false);
    }
  }

  /**
   * Registers the model logged in {@code runId} as a new version of {@code modelName}, checks the
   * registered copy scores like the model trained, then gives it {@code alias}, and {@code prodAlias}
   * too when the model has no version under that alias yet (its first version).
   */
  Registered register(String modelName, String runId, PipelineModel model, TimeSplit split, String alias,
      String prodAlias) {
    Dataset<Row> labelled = split.evaluation().where(col(ModelFeatures.LABEL).isNotNull());
    List<String> aliases = new ArrayList<>();
    ModelVersionInfo version = progress.step("registering " + modelName, () -> {
      boolean hasProd = registry.createRegisteredModel(modelName).aliases().containsKey(prodAlias);
      ModelVersionInfo v = registry.createModelVersion(modelName, runId, MODEL_ARTIFACT);
      // No alias points at a version before the registered copy has proved to be the model trained.
      requireSameScores(model, v, labelled);
      registry.setAlias(modelName, alias, v.version());
      aliases.add(alias);
      if (!hasProd && !alias.equals(prodAlias)) {
        registry.setAlias(modelName, prodAlias, v.version());
        aliases.add(prodAlias);
      }
      return v;
    }, v -> "version " + v.version() + " @" + String.join(", @", aliases));
    return new Registered(version, aliases);
  }

  private static String describe(TrainingSettings settings) {
    return settings.algorithm().equals(Detectors.ISOLATION_FOREST)
        ? String.format(Locale.ROOT, "IsolationForest (%d trees, %d samples per tree)", settings.trees(), settings.samplesPerTree())
        : Detectors.describe(settings.algorithm());
  }

  /**
   * Loads {@code version} back from the registry the way {@code score} will, and checks that it
   * scores {@value #READ_BACK_ROWS} evaluation rows exactly as the model in memory does: an upload
   * or a download that changed the model fails the run here.
   */
  private void requireSameScores(PipelineModel trained, ModelVersionInfo version, Dataset<Row> evaluation) {
    List<Column> order = new ArrayList<>();
    order.add(col(ModelFeatures.EVENT_TIME));
    ModelFeatures.NAMES.forEach(name -> order.add(col(name)));
    // One fixed, local set of rows, so both models see the same rows in the same order.
    List<Row> rows = evaluation.orderBy(order.toArray(Column[]::new)).limit(READ_BACK_ROWS).collectAsList();
    Dataset<Row> sample = evaluation.sparkSession().createDataFrame(rows, evaluation.schema());
    ScoringModel registered = models.load(version);
    List<Row> expected = trained.transform(sample).select(ModelFeatures.SCORE).collectAsList();
    List<Row> actual = registered.transformer().transform(sample).select(ModelFeatures.SCORE).collectAsList();
    for (int i = 0; i < expected.size(); i++) {
      if (i >= actual.size() || !expected.get(i).equals(actual.get(i))) {
        throw new FraudLakeException(version.uri() + " as read back from " + registry.describe()
            + " does not score like the model trained: the row at " + rows.get(i).get(0) + " gets "
            + (i < actual.size() ? actual.get(i).get(0) : "no score") + " instead of " + expected.get(i).get(0));
      }
    }
  }

  Dataset<Row> readSilver() {
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    List<String> problems = new ArrayList<>(ModelFeatures.mismatches(silver.schema()));
    for (String column : List.of(ModelFeatures.EVENT_TIME, ModelFeatures.LABEL)) {
      if (!List.of(silver.columns()).contains(column)) {
        problems.add(column + " missing");
      }
    }
    if (!problems.isEmpty()) {
      throw new FraudLakeException(Tables.SILVER + " cannot train the model: " + String.join(", ", problems));
    }
    List<Column> columns = new ArrayList<>();
    columns.add(col(ModelFeatures.EVENT_TIME));
    columns.add(col(ModelFeatures.LABEL));
    ModelFeatures.NAMES.forEach(name -> columns.add(col(name)));
    // The split, the fit, the reference statistics and the evaluation all read silver: read it once.
    return silver.select(columns.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());
  }

  static Windows describe(TimeSplit split) {
    TimeSplit.Window train = TimeSplit.describe(split.train());
    TimeSplit.Window evaluation = TimeSplit.describe(split.evaluation());
    Row labels = split.evaluation().agg(
        org.apache.spark.sql.functions.count(col(ModelFeatures.LABEL)),
        org.apache.spark.sql.functions.sum(col(ModelFeatures.LABEL).cast("long"))).first();
    long labelled = labels.getLong(0);
    long fraud = labels.isNullAt(1) ? 0 : labels.getLong(1);
    return new Windows(split.cutoff(), train, evaluation, labelled, fraud);
  }

  static void requireUsable(Windows windows, TrainingSettings settings) {
    String how = settings.trainUntil() != null ? "--train-until " + settings.trainUntil() : "train fraction " + settings.trainFraction();
    if (windows.train().rows() == 0) {
      throw new FraudLakeException("no silver rows before " + windows.cutoff() + " to train on (" + how + ")");
    }
    if (windows.evaluation().rows() == 0) {
      throw new FraudLakeException("no silver rows from " + windows.cutoff() + " on to evaluate with (" + how + ")");
    }
    if (windows.fraud() == 0 || windows.fraud() == windows.labelled()) {
      throw new FraudLakeException(String.format(Locale.ROOT,
          "the evaluation window (%s) has %,d labelled rows of which %,d fraud: ROC-AUC needs both fraud and "
              + "legitimate labels; choose another split (%s)", windows.evaluation().describe(), windows.labelled(),
          windows.fraud(), how));
    }
  }

  private static List<Path> writeReport(EvaluationReport report, Path dir) {
    try {
      Files.createDirectories(dir);
      JSON.writeValue(dir.resolve(REPORT_FILE).toFile(), report.toMap());
      Files.writeString(dir.resolve("summary.txt"), report.summary() + System.lineSeparator());
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the evaluation report to " + dir + ": " + e.getMessage(), e);
    }
    return EvaluationPlots.writeAll(report, dir);
  }

  /** The evaluation metrics under their report keys, plus the sizes of both windows and the fit time. */
  private static Map<String, Double> metrics(EvaluationReport report, Windows windows, double fitSeconds) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    report.metrics().forEach((key, value) -> metrics.put(key, ((Number) value).doubleValue()));
    metrics.put("train_rows", (double) windows.train().rows());
    metrics.put("eval_rows", (double) windows.evaluation().rows());
    metrics.put("eval_labelled_rows", (double) windows.labelled());
    metrics.put("eval_fraud_rate", windows.labelled() == 0 ? 0.0 : windows.fraud() / (double) windows.labelled());
    metrics.put("fit_seconds", fitSeconds);
    return metrics;
  }

  private Map<String, String> params(TrainingSettings settings, TimeSplit split, Windows windows) {
    Map<String, String> params = new LinkedHashMap<>(settings.params());
    params.put("silver_table", lakehouse.qualifiedName(Tables.SILVER));
    params.put("silver_delta_version", silverVersion());
    params.put("split_cutoff", split.cutoff().toString());
    params.put("train_rows", Long.toString(windows.train().rows()));
    params.put("train_start", String.valueOf(windows.train().from()));
    params.put("train_end", String.valueOf(windows.train().to()));
    params.put("eval_rows", Long.toString(windows.evaluation().rows()));
    params.put("eval_start", String.valueOf(windows.evaluation().from()));
    params.put("eval_end", String.valueOf(windows.evaluation().to()));
    return params;
  }

  private String silverVersion() {
    Row latest = lakehouse.deltaTable(Tables.SILVER).history(1).select("version").first();
    return Long.toString(latest.getLong(0));
  }

  /**
   * Writes the MLflow model directory next to the runtime folder (a path every executor can reach
   * when home is on shared storage) and uploads it as the run's {@value #MODEL_ARTIFACT} artifact.
   */
  private void logModel(String runId, PipelineModel model, FeatureReference reference, Dataset<Row> train) {
    Path staging = lakehouse.config().home().resolve("staging").resolve(runId);
    try {
      MlflowModelDirectory directory = MlflowModelDirectory.builder(staging.resolve(MODEL_ARTIFACT))
          .artifactPath(MODEL_ARTIFACT)
          .runId(runId)
          .signature(Signature.of(ModelFeatures.SCHEMA, OUTPUTS))
          .inputExample(train.select(ModelFeatures.columns()).limit(5))
          .sparkModel(dir -> saveSparkModel(model, dir), PipelineModel.class.getName())
          .extraFile(FeatureReference.FILE_NAME, reference.toJson())
          .write();
      registry.logArtifacts(runId, directory.directory(), MODEL_ARTIFACT);
    } finally {
      deleteQuietly(staging);
      // Leave no empty staging folder behind once no run is logging.
      staging.getParent().toFile().delete();
    }
  }

  /** Spark ML persistence, for the model directory's sparkml/ folder. */
  public static void saveSparkModel(PipelineModel model, Path dir) {
    try {
      model.write().save(dir.toUri().toString());
    } catch (IOException e) {
      throw new FraudLakeException("cannot save the Spark model to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover staging folder wastes disk but harms nothing.
    }
  }

  void endQuietly(String runId) {
    try {
      registry.endRun(runId, RunStatus.FAILED);
    } catch (RuntimeException ignored) {
      // The original failure is what the user needs to see.
    }
  }

  /** The split as the console and the run's params describe it. */
  record Windows(Instant cutoff, TimeSplit.Window train, TimeSplit.Window evaluation, long labelled, long fraud) {
    String describe() {
      return String.format(Locale.ROOT, "cutoff %s%n    train      %s%n    evaluation %s, %,d labelled, %,d fraud",
          cutoff, train.describe(), evaluation.describe(), labelled, fraud);
    }
  }
}
