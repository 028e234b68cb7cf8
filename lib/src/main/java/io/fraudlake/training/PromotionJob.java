package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.apache.spark.sql.functions.col;

import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.EvaluationReport;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.SignatureCheck;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code promote}: moves an alias (normally {@code prod}) to the version another alias (normally
 * {@code challenger}) points at, after the {@link PromotionGate}. Both models are scored on the same
 * latest window of silver, so the comparison is between models and not between evaluation periods.
 */
public final class PromotionJob {
  private final Lakehouse lakehouse;
  private final ModelStore models;
  private final ModelRegistry registry;
  private final Progress progress;

  public PromotionJob(Lakehouse lakehouse, ModelStore models, Progress progress) {
    this.lakehouse = lakehouse;
    this.models = models;
    this.registry = models.registry();
    this.progress = progress;
  }

  /** Which latest part of silver both models are judged on. */
  public record EvaluationWindow(Duration duration, double trainFraction) {
    public static EvaluationWindow last(Duration duration) {
      return new EvaluationWindow(duration, Double.NaN);
    }

    /** The part a training run with {@code trainFraction} evaluates on: the last 1 − fraction of rows. */
    public static EvaluationWindow afterTrainFraction(double trainFraction) {
      return new EvaluationWindow(null, trainFraction);
    }

    Dataset<Row> select(Dataset<Row> silver) {
      return duration != null ? TimeSplit.latestWindow(silver, duration) : TimeSplit.latestFraction(silver, trainFraction);
    }

    String describe() {
      return duration != null ? "the last " + duration.toString().substring(2).toLowerCase(Locale.ROOT) + " of silver"
          : String.format(Locale.ROOT, "the latest %.0f%% of silver", 100 * (1 - trainFraction));
    }
  }

  /** The outcome: the versions before and after, and the gate's reason (or that it was skipped). */
  public record Result(String modelName, String alias, Long previous, long promoted, boolean changed, String reason) {}

  public Result promote(String modelName, String fromAlias, String toAlias, PromotionGate gate,
      EvaluationWindow window, boolean force) {
    if (fromAlias.equals(toAlias)) {
      throw new FraudLakeException("--from and --to are both @" + fromAlias);
    }
    ModelVersionInfo candidate = registry.resolve(ModelUri.ofAlias(modelName, fromAlias));
    Optional<ModelVersionInfo> current = currentVersion(modelName, toAlias);
    String candidateLabel = fromAlias + " v" + candidate.version();
    if (current.isPresent() && current.get().version() == candidate.version()) {
      return new Result(modelName, toAlias, candidate.version(), candidate.version(), false,
          candidateLabel + " is already @" + toAlias);
    }
    String reason;
    if (force) {
      reason = "QUALITY GATE SKIPPED (--force): " + candidateLabel + " was not evaluated";
    } else {
      reason = check(modelName, candidate, candidateLabel, current, toAlias, gate, window);
    }
    registry.setAlias(modelName, toAlias, candidate.version());
    return new Result(modelName, toAlias, current.map(ModelVersionInfo::version).orElse(null), candidate.version(), true, reason);
  }

  private String check(String modelName, ModelVersionInfo candidate, String candidateLabel,
      Optional<ModelVersionInfo> current, String toAlias, PromotionGate gate, EvaluationWindow window) {
    Dataset<Row> recent = progress.step("reading " + window.describe(), () -> labelledWindow(window),
        rows -> String.format(Locale.ROOT, "%,d labelled rows", rows.count()));
    try {
      double candidateAuc = rocAuc(candidate, candidateLabel, recent);
      OptionalDouble currentAuc = OptionalDouble.empty();
      String currentLabel = toAlias;
      if (current.isPresent()) {
        currentLabel = toAlias + " v" + current.get().version();
        currentAuc = OptionalDouble.of(rocAuc(current.get(), currentLabel, recent));
      }
      PromotionGate.Decision decision = gate.decide(candidateLabel, candidateAuc, currentLabel, currentAuc);
      if (!decision.passed()) {
        throw new FraudLakeException("promotion refused: " + decision.reason() + " on " + window.describe());
      }
      return decision.reason();
    } finally {
      recent.unpersist(false);
    }
  }

  private Dataset<Row> labelledWindow(EvaluationWindow window) {
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    Dataset<Row> recent = window.select(silver).where(col(ModelFeatures.LABEL).isNotNull())
        .persist(StorageLevel.MEMORY_AND_DISK());
    if (recent.isEmpty()) {
      recent.unpersist(false);
      throw new FraudLakeException("no labelled silver rows in " + window.describe() + " to evaluate the models on");
    }
    return recent;
  }

  private double rocAuc(ModelVersionInfo version, String label, Dataset<Row> recent) {
    return progress.step("scoring " + label + " on the window", () -> {
      ScoringModel model = models.load(version);
      SignatureCheck.require(recent.schema(), Tables.SILVER, model);
      Dataset<Row> scored = model.transformer().transform(recent);
      return EvaluationReport.compute(scored, ModelTrainer.detector(model.transformer()).threshold()).rocAuc();
    }, auc -> String.format(Locale.ROOT, "ROC-AUC %.4f", auc));
  }

  private Optional<ModelVersionInfo> currentVersion(String modelName, String alias) {
    Long version = registry.listRegisteredModels().stream()
        .filter(m -> m.name().equals(modelName))
        .findFirst()
        .map(m -> m.aliases().get(alias))
        .orElse(null);
    return version == null ? Optional.empty() : Optional.of(registry.getModelVersion(modelName, version));
  }
}
