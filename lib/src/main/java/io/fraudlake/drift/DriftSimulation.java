package io.fraudlake.drift;

import static org.apache.spark.sql.functions.col;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.evaluation.EvaluationReport;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.monitoring.FeatureDrift;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.ModelTrainer;
import io.fraudlake.training.Progress;
import io.fraudlake.training.PromotionGate;
import io.fraudlake.training.TrainingJob;
import io.fraudlake.training.TrainingResult;
import io.fraudlake.training.TrainingSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code simulate-drift}: a reference period and production batches whose customers drift
 * ({@link DriftSchedule}) go through the real generator, bronze and silver jobs; a model trained on the
 * reference with the real training job scores each batch in order, and each batch is judged like
 * {@code score} judges one: ROC-AUC, PR-AUC, alert rate and recall at the model's threshold, and the PSI
 * of every feature against the @prod model's training reference. A batch in which any feature's PSI
 * reaches {@code monitoring.psi-threshold} triggers retraining; with {@code --retrain} a challenger is
 * trained on the batches before the trigger, judged against @prod by the {@link PromotionGate} on the batch that
 * triggered, and made @prod if it passes, so the following batches are scored by it. Every model trains on
 * its window's transactions that are not labelled fraud ({@link DriftSchedule#withoutKnownFraudBefore}).
 *
 * <p>The simulation's tables live in a workspace of its own inside the report folder, so the user's
 * lakehouse is never touched; its models go to the registry under the runtime folder (or
 * MLFLOW_TRACKING_URI) under their own name.
 */
public final class DriftSimulation {
  public static final String REPORT_FOLDER = "simulate-drift";
  private static final DateTimeFormatter FOLDER_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private final SparkSession spark;
  private final FraudLakeConfig config;
  private final ModelRegistry registry;
  private final ModelStore models;
  private final Progress progress;
  private final Clock clock;

  public DriftSimulation(SparkSession spark, FraudLakeConfig config, ModelRegistry registry, PrintStream out, Clock clock) {
    this.spark = spark;
    this.config = config;
    this.registry = registry;
    this.models = ModelSources.store(config, registry);
    this.progress = Progress.to(out, REPORT_FOLDER);
    this.clock = clock;
  }

  public DriftReport run(DriftSimulationOptions options) {
    long started = System.nanoTime();
    requireMeasurable(options, config);
    double psiThreshold = config.decimal("monitoring.psi-threshold");
    long minDriftRows = config.longValue("monitoring.min-drift-rows");
    Path reportDir = newReportDir();
    FraudLakeConfig workspace = config.withHome(reportDir.resolve("workspace")).with(Map.of(
        "lakehouse.mode", "path",
        "model.name", options.modelName(),
        "model.experiment", config.string("model.experiment") + "-drift-simulation"));
    Lakehouse lakehouse = new Lakehouse(spark, workspace);
    DriftSchedule schedule = DriftSchedule.of(options);
    progress.line(String.format(Locale.ROOT, "%s: %d batches of %,d transactions after a %d-day reference; report in %s",
        REPORT_FOLDER, options.batches(), options.rowsPerBatch(), DriftSimulationOptions.REFERENCE_DAYS, reportDir));

    Dataset<Row> silver = ingest(lakehouse, schedule);
    try {
      TrainingSettings settings = TrainingSettings.fromConfig(workspace);
      String prodAlias = config.string("scoring.alias");
      TrainingJob training = new TrainingJob(lakehouse, models, Progress.silent());
      TrainingResult first = progress.step(String.format(Locale.ROOT,
              "training the reference model (%d trees) on the first %d days of the reference period", settings.trees(),
              DriftSimulationOptions.REFERENCE_DAYS - 1),
          // The reference's last day is held out, so the model's logged evaluation is out of time.
          () -> {
            Instant cutoff = schedule.reference().to().minus(Duration.ofDays(1));
            return training.runOn(settings.withTrainUntil(cutoff),
                DriftSchedule.withoutKnownFraudBefore(schedule.reference().rows(silver), cutoff), prodAlias, prodAlias);
          },
          DriftSimulation::trained);
      ScoringModel referenceModel = load(settings.modelName(), first.version());
      List<BatchOutcome> outcomes = replay(options, schedule, silver, settings, training, referenceModel, prodAlias,
          psiThreshold, minDriftRows);
      DriftReport report = new DriftReport(options, schedule, psiThreshold, minDriftRows, outcomes,
          settings.modelName(), registry.describe(), reportDir, (System.nanoTime() - started) / 1e9);
      progress.step("writing the report, CSV and plot", () -> report.write());
      return report;
    } finally {
      silver.unpersist(false);
    }
  }

  /** Fails (one line) when batches would be too small for {@code score}'s drift measure to judge them. */
  public static void requireMeasurable(DriftSimulationOptions options, FraudLakeConfig config) {
    long minDriftRows = config.longValue("monitoring.min-drift-rows");
    if (options.rowsPerBatch() < minDriftRows) {
      throw new FraudLakeException(String.format(Locale.ROOT, "--rows-per-batch must be at least "
          + "monitoring.min-drift-rows (%d): PSI on fewer rows is noise, got %d", minDriftRows, options.rowsPerBatch()));
    }
  }

  private List<BatchOutcome> replay(DriftSimulationOptions options, DriftSchedule schedule, Dataset<Row> silver,
      TrainingSettings settings, TrainingJob training, ScoringModel referenceModel, String prodAlias,
      double psiThreshold, long minDriftRows) {
    PromotionGate gate = PromotionGate.fromConfig(config);
    List<BatchOutcome> outcomes = new ArrayList<>();
    ScoringModel prod = referenceModel;
    int lastRetrain = Integer.MIN_VALUE / 2;
    for (DriftSchedule.Period period : schedule.batches()) {
      ScoringModel scoring = prod;
      Dataset<Row> batch = period.rows(silver);
      BatchOutcome outcome = progress.step(String.format(Locale.ROOT, "batch %d (%s): scoring with %s",
              period.batch(), period.describe(), scoring.label()),
          () -> judge(period, batch, scoring, referenceModel, psiThreshold, minDriftRows),
          DriftSimulation::summary);
      // The challenger trains on the batches before the trigger (none before batch 1), and a retrain waits
      // until it can train on none of the batches the previous challenger trained on.
      int t = period.batch();
      if (options.retrain() && outcome.triggered() && t > 1 && t - lastRetrain >= options.recentBatches()) {
        RetrainOutcome retrain = retrain(schedule, silver, settings, training, gate, prodAlias, scoring, outcome,
            Math.max(1, t - options.recentBatches()));
        lastRetrain = t;
        outcome = outcome.withRetrain(retrain);
        if (retrain.promoted()) {
          prod = load(settings.modelName(), retrain.challengerVersion());
        }
      }
      outcomes.add(outcome);
    }
    return outcomes;
  }

  /** Generates every period, lands it, and runs bronze and silver's batch rebuild over all of it once. */
  private Dataset<Row> ingest(Lakehouse lakehouse, DriftSchedule schedule) {
    FraudLakeConfig workspace = lakehouse.config();
    List<DriftSchedule.Period> periods = new ArrayList<>();
    periods.add(schedule.reference());
    periods.addAll(schedule.batches());
    long[] generated = new long[2];
    progress.step("generating the reference period and " + schedule.batches().size() + " batches", () -> {
      for (DriftSchedule.Period p : periods) {
        TransactionGenerator.Result r = new TransactionGenerator(p.generator())
            .writeTo(workspace.landingDir(), String.format(Locale.ROOT, "drift-b%02d", p.batch()));
        generated[0] += r.rows();
        generated[1] += r.fraudRows();
      }
      return generated;
    }, g -> String.format(Locale.ROOT, "%,d transactions, %,d fraud", g[0], g[1]));
    progress.step("bronze", () -> new BronzeJob(lakehouse).runAvailableNow(),
        (BronzeStats s) -> String.format(Locale.ROOT, "%,d rows, %,d quarantined", s.written(), s.quarantined()));
    progress.step("silver (batch rebuild of every window)", () -> new SilverJob(lakehouse).runBatch(Tables.SILVER),
        s -> String.format(Locale.ROOT, "%,d rows", s.written()));
    List<Column> columns = new ArrayList<>(List.of(col(ModelFeatures.EVENT_TIME), col(ModelFeatures.LABEL)));
    ModelFeatures.NAMES.forEach(name -> columns.add(col(name)));
    // Every batch, the trainings and the gate read silver: read it once.
    return lakehouse.read(Tables.SILVER).select(columns.toArray(Column[]::new)).persist(StorageLevel.MEMORY_AND_DISK());
  }

  private BatchOutcome judge(DriftSchedule.Period period, Dataset<Row> batch, ScoringModel prod,
      ScoringModel referenceModel, double psiThreshold, long minDriftRows) {
    EvaluationReport prodReport = evaluate(batch, prod);
    ModelFigures withoutRetraining = prod == referenceModel ? null
        : ModelFigures.of(referenceModel.version(), evaluate(batch, referenceModel));
    FeatureDrift drift = prod.featureDrift().orElseThrow(() -> new FraudLakeException(
        prod.label() + " has no feature reference to measure drift against"));
    Map<String, Double> psi = new LinkedHashMap<>();
    List<String> drifted = new ArrayList<>();
    for (FeatureDrift.FeatureShift shift : drift.measure(batch)) {
      // As score does: a feature with too few values is too noisy to judge.
      if (shift.rows() >= minDriftRows) {
        psi.put(shift.feature(), shift.psi());
        if (shift.psi() >= psiThreshold) {
          drifted.add(shift.feature());
        }
      }
    }
    return new BatchOutcome(period.batch(), period.from(), period.to(), period.describe(), prodReport.rows(),
        prodReport.positives(), ModelFigures.of(prod.version(), prodReport), withoutRetraining, psi, drifted, null);
  }

  /**
   * Trains a challenger on batches {@code firstBatch} to the one before the trigger and judges it on the
   * trigger batch, which neither model was trained on: the training run's own evaluation and the promotion
   * gate's comparison with @prod are out of time, as they are for {@code train} and {@code promote}.
   */
  private RetrainOutcome retrain(DriftSchedule schedule, Dataset<Row> silver, TrainingSettings settings,
      TrainingJob training, PromotionGate gate, String prodAlias, ScoringModel prod, BatchOutcome trigger,
      int firstBatch) {
    int gateBatch = trigger.batch();
    int lastBatch = gateBatch - 1;
    TrainingResult challenger = progress.step(String.format(Locale.ROOT,
            "retraining on the drift trigger: challenger on batches %d-%d, judged on batch %d", firstBatch, lastBatch,
            gateBatch),
        () -> {
          Instant cutoff = schedule.batch(gateBatch).from();
          return training.runOn(settings.withTrainUntil(cutoff),
              DriftSchedule.withoutKnownFraudBefore(schedule.rows(silver, firstBatch, gateBatch), cutoff), "challenger",
              prodAlias);
        },
        DriftSimulation::trained);
    ScoringModel challengerModel = load(settings.modelName(), challenger.version());
    double challengerAuc = evaluate(schedule.batch(gateBatch).rows(silver), challengerModel).rocAuc();
    PromotionGate.Decision decision = gate.decide("challenger v" + challenger.version(), challengerAuc,
        "prod v" + prod.version(), OptionalDouble.of(trigger.prod().rocAuc()));
    if (decision.passed()) {
      registry.setAlias(settings.modelName(), prodAlias, challenger.version());
    }
    progress.line(String.format(Locale.ROOT, "  promotion gate on batch %d: %s: %s", gateBatch,
        decision.passed() ? "passed, @" + prodAlias + " -> v" + challenger.version() : "refused", decision.reason()));
    return new RetrainOutcome(firstBatch, lastBatch, gateBatch, challenger.version(), challengerAuc, prod.version(),
        trigger.prod().rocAuc(), decision.passed(), decision.reason());
  }

  /** Scores {@code batch} with {@code model} as {@code score} would and evaluates against the labels. */
  private static EvaluationReport evaluate(Dataset<Row> batch, ScoringModel model) {
    Dataset<Row> labelled = batch.where(col(ModelFeatures.LABEL).isNotNull());
    return EvaluationReport.compute(model.transformer().transform(labelled),
        ModelTrainer.detector(model.transformer()).threshold());
  }

  /** The version as {@code score} loads it: read back from the registry, with its feature reference. */
  private ScoringModel load(String modelName, long version) {
    return models.load(registry.getModelVersion(modelName, version));
  }

  private Path newReportDir() {
    Path parent = config.reportsDir().resolve(REPORT_FOLDER);
    String stamp = FOLDER_TIME.format(clock.instant());
    try {
      Files.createDirectories(parent);
      for (int attempt = 1; ; attempt++) {
        Path dir = parent.resolve(attempt == 1 ? stamp : stamp + "-" + attempt);
        try {
          return Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException taken) {
          // Two runs in the same second: the later one gets the next suffix.
        }
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot create the report folder under " + parent + ": " + e.getMessage(), e);
    }
  }

  private static String trained(TrainingResult t) {
    return String.format(Locale.ROOT, "%s v%d @%s, ROC-AUC %.4f on its own held-out latest rows", t.modelName(),
        t.version(), String.join(" @", t.aliases()), t.metrics().get("roc_auc"));
  }

  private static String summary(BatchOutcome o) {
    return String.format(Locale.ROOT, "ROC-AUC %.4f, PR-AUC %.4f, alerts %.1f%%, recall %.1f%%, max PSI %.3f%s",
        o.prod().rocAuc(), o.prod().prAuc(), 100 * o.prod().alertRate(), 100 * o.prod().recall(),
        o.psi().values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
        o.triggered() ? " -> drift trigger (" + String.join(", ", o.drifted()) + ")" : "");
  }
}
