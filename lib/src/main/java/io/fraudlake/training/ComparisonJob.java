package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.EvaluationPlots;
import io.fraudlake.evaluation.EvaluationReport;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.spark.Lakehouse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code compare}: several detectors trained on one out-of-time split and evaluated on the same
 * later rows, logged as one MLflow run each under a parent run (the parent holds the overlaid ROC
 * and precision-recall curves and the table), and the best by a chosen metric registered with an
 * alias ({@code @challenger} by default), so that {@code promote} can take it to {@code @prod}.
 */
public final class ComparisonJob {
  /** MLflow's tag that nests a run under another in its UI. */
  public static final String PARENT_RUN_TAG = "mlflow.parentRunId";
  public static final String ALGORITHM_TAG = "fraudlake.algorithm";
  static final String TABLE_FILE = "comparison.md";
  /** The evaluation report's metrics a comparison can rank by (higher is better for each). */
  private static final java.util.regex.Pattern METRICS =
      java.util.regex.Pattern.compile("roc_auc|pr_auc|precision_at_threshold|recall_at_threshold|precision_at_\\d+(pct)?");

  private final Lakehouse lakehouse;
  private final TrainingJob training;
  private final ModelRegistry registry;
  private final Progress progress;

  public ComparisonJob(Lakehouse lakehouse, ModelStore models, Progress progress) {
    this.lakehouse = lakehouse;
    this.training = new TrainingJob(lakehouse, models, progress);
    this.registry = models.registry();
    this.progress = progress;
  }

  /** One detector's line of the comparison. */
  public record Entry(String algorithm, String runId, double rocAuc, double prAuc, double precisionAtK, String precisionAtKKey,
      double fitSeconds, double scoringRowsPerSecond, double chosenMetric) {}

  /** The comparison: every detector, the best by {@code metric}, and the version it was registered as. */
  public record Result(String parentRunId, String metric, List<Entry> entries, String best, long version,
      List<String> aliases, Path reportDir, List<Path> plots, String modelName) {
    public String modelUri() {
      return "models:/" + modelName + "/" + version;
    }
  }

  public Result run(TrainingSettings base, List<String> algorithms, String metric, String alias, String prodAlias) {
    if (algorithms.isEmpty()) {
      throw new FraudLakeException("compare needs at least one algorithm; choose from " + String.join(", ", Detectors.ALGORITHMS));
    }
    algorithms.forEach(Detectors::requireKnown);
    if (!METRICS.matcher(metric).matches()) {
      throw new FraudLakeException("unknown metric '" + metric + "'; choose roc_auc, pr_auc, precision_at_threshold, "
          + "recall_at_threshold, or precision_at_K / precision_at_Npct as the evaluation report lists them");
    }
    if (algorithms.stream().distinct().count() != algorithms.size()) {
      throw new FraudLakeException("an algorithm is listed twice: " + String.join(",", algorithms));
    }
    Dataset<Row> silver = progress.step("reading silver", training::readSilver, rows -> String.format(Locale.ROOT,
        "%,d rows", rows.count()));
    try {
      TimeSplit split = base.trainUntil() != null
          ? TimeSplit.until(silver, base.trainUntil())
          : TimeSplit.byFraction(silver, base.trainFraction());
      TrainingJob.Windows windows = progress.step("splitting by event time", () -> TrainingJob.describe(split),
          TrainingJob.Windows::describe);
      TrainingJob.requireUsable(windows, base);
      String experimentId = registry.getOrCreateExperiment(base.experiment());
      String parent = registry.startRun(experimentId, "compare " + String.join(" vs ", algorithms),
          Map.of("fraudlake.command", "compare"));
      progress.line(String.format("  parent run %s in experiment '%s' (%s)", parent, base.experiment(), registry.describe()));
      try {
        Result result = compare(base, algorithms, metric, alias, prodAlias, split, windows, experimentId, parent);
        registry.endRun(parent, RunStatus.FINISHED);
        return result;
      } catch (RuntimeException | Error e) {
        training.endQuietly(parent);
        throw e;
      }
    } finally {
      silver.unpersist(false);
    }
  }

  private Result compare(TrainingSettings base, List<String> algorithms, String metric, String alias, String prodAlias,
      TimeSplit split, TrainingJob.Windows windows, String experimentId, String parent) {
    Map<String, TrainingJob.LoggedModel> logged = new LinkedHashMap<>();
    List<Entry> entries = new ArrayList<>();
    for (String algorithm : algorithms) {
      progress.line("  " + Detectors.describe(algorithm) + " (" + algorithm + ")");
      String child = registry.startRun(experimentId, algorithm,
          Map.of(PARENT_RUN_TAG, parent, ALGORITHM_TAG, algorithm, "fraudlake.command", "compare"));
      TrainingJob.LoggedModel model;
      try {
        model = training.fitEvaluateAndLog(base.withAlgorithm(algorithm), split, windows, child);
        registry.endRun(child, RunStatus.FINISHED);
      } catch (RuntimeException | Error e) {
        training.endQuietly(child);
        throw e;
      }
      logged.put(algorithm, model);
      entries.add(entry(algorithm, child, model, metric));
    }
    Entry best = entries.stream().max(java.util.Comparator.comparingDouble(Entry::chosenMetric)).orElseThrow();

    Path reportDir = lakehouse.config().reportsDir().resolve(parent);
    Map<String, EvaluationReport> reports = new LinkedHashMap<>();
    logged.forEach((algorithm, model) -> reports.put(algorithm, model.report()));
    List<Path> plots = progress.step("writing the overlaid ROC and precision-recall curves to " + reportDir, () -> {
      try {
        Files.createDirectories(reportDir);
        Files.writeString(reportDir.resolve(TABLE_FILE), String.join(System.lineSeparator(), table(entries, metric, best))
            + System.lineSeparator());
      } catch (IOException e) {
        throw new FraudLakeException("cannot write the comparison to " + reportDir + ": " + e.getMessage(), e);
      }
      return List.of(
          EvaluationPlots.write(EvaluationPlots.rocComparison(reports), reportDir.resolve(EvaluationPlots.ROC_FILE)),
          EvaluationPlots.write(EvaluationPlots.precisionRecallComparison(reports), reportDir.resolve(EvaluationPlots.PR_FILE)));
    }, p -> p.size() + " plots");
    Map<String, String> params = new LinkedHashMap<>();
    params.put("algorithms", String.join(",", algorithms));
    params.put("metric", metric);
    params.put("best_algorithm", best.algorithm());
    params.put("best_run_id", best.runId());
    params.put("split_cutoff", split.cutoff().toString());
    registry.logParams(parent, params);
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (Entry e : entries) {
      metrics.put(e.algorithm() + "_roc_auc", e.rocAuc());
      metrics.put(e.algorithm() + "_pr_auc", e.prAuc());
      metrics.put(e.algorithm() + "_" + metric, e.chosenMetric());
    }
    metrics.put("best_" + metric, best.chosenMetric());
    registry.logMetrics(parent, metrics, 0);
    registry.logArtifacts(parent, reportDir, TrainingJob.EVALUATION_ARTIFACT);

    training.requireQuality(base, best.runId(), logged.get(best.algorithm()).metrics());
    TrainingJob.Registered registered = training.register(base.modelName(), best.runId(),
        logged.get(best.algorithm()).model(), split, alias, prodAlias);
    return new Result(parent, metric, entries, best.algorithm(), registered.version().version(), registered.aliases(),
        reportDir, plots, base.modelName());
  }

  private static Entry entry(String algorithm, String runId, TrainingJob.LoggedModel model, String metric) {
    Map<String, Object> reported = model.report().metrics();
    Object chosen = reported.get(metric);
    if (!(chosen instanceof Number)) {
      throw new FraudLakeException("the evaluation report has no metric '" + metric + "'; it has "
          + String.join(", ", reported.keySet().stream().filter(k -> k.startsWith("precision_at_")).toList()));
    }
    String topKey = model.report().precisionAtK().isEmpty() ? "precision_at_k" : model.report().precisionAtK().get(0).key();
    double topK = model.report().precisionAtK().isEmpty() ? Double.NaN : model.report().precisionAtK().get(0).precision();
    return new Entry(algorithm, runId, model.report().rocAuc(), model.report().prAuc(), topK, topKey,
        model.metrics().get("fit_seconds"), model.metrics().get("scoring_rows_per_second"), ((Number) chosen).doubleValue());
  }

  /** The comparison as a markdown table, the best marked; the console and the parent run's artifact show it. */
  public static List<String> table(List<Entry> entries, String metric, Entry best) {
    List<String> lines = new ArrayList<>();
    String topKey = entries.get(0).precisionAtKKey();
    lines.add(String.format(Locale.ROOT, "| %-12s | %8s | %8s | %18s | %9s | %14s | %s |", "algorithm", "ROC-AUC", "PR-AUC",
        topKey, "fit s", "score rows/s", "run"));
    lines.add("|---|---:|---:|---:|---:|---:|---|");
    for (Entry e : entries) {
      lines.add(String.format(Locale.ROOT, "| %-12s | %8.4f | %8.4f | %18.4f | %9.2f | %,14.0f | %s |",
          e.algorithm() + (e == best ? " *" : ""), e.rocAuc(), e.prAuc(), e.precisionAtK(), e.fitSeconds(),
          e.scoringRowsPerSecond(), e.runId()));
    }
    lines.add("* best by " + metric);
    return lines;
  }
}
