package io.fraudlake.training;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a training run produced: the tracked run, the registered version and the aliases now on it,
 * the evaluation metrics, the data windows and where the local report (plots, JSON) was written.
 */
public record TrainingResult(
    String modelName,
    String experimentId,
    String runId,
    long version,
    List<String> aliases,
    TimeSplit.Window train,
    TimeSplit.Window evaluation,
    Map<String, Double> metrics,
    List<String> evaluationSummary,
    Path reportDir,
    List<Path> plots,
    String registry) {
  public TrainingResult {
    aliases = List.copyOf(aliases);
    metrics = Map.copyOf(metrics);
    evaluationSummary = List.copyOf(evaluationSummary);
    plots = List.copyOf(plots);
  }

  public String modelUri() {
    return "models:/" + modelName + "/" + version;
  }
}
