package io.fraudlake.jobs;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.training.Progress;
import io.fraudlake.training.PromotionGate;
import io.fraudlake.training.PromotionJob;
import java.io.PrintStream;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "promote", mixinStandardHelpOptions = true,
    description = {
        "Move an alias (default: challenger -> prod) after a quality gate: the candidate's ROC-AUC on the latest "
            + "window of silver must reach model.min-roc-auc and must not be worse than the current model's on the "
            + "same window (within model.promotion-tolerance)."})
final class PromoteCommand extends FraudLakeCommand {
  @Option(names = "--from", paramLabel = "ALIAS", defaultValue = "challenger", description = "Alias of the candidate (default: ${DEFAULT-VALUE}).")
  String from;

  @Option(names = "--to", paramLabel = "ALIAS", description = "Alias to move (default: scoring.alias, prod).")
  String to;

  @Option(names = "--model", paramLabel = "NAME", description = "Registered model (default: model.name).")
  String model;

  @Option(names = "--min-roc-auc", paramLabel = "AUC", description = "Minimum ROC-AUC (default: model.min-roc-auc).")
  Double minRocAuc;

  @Option(names = "--tolerance", paramLabel = "AUC",
      description = "How far below the current model's ROC-AUC the candidate may be (default: model.promotion-tolerance).")
  Double tolerance;

  @Option(names = "--window", paramLabel = "DURATION",
      description = "Evaluate on the last DURATION of silver, e.g. 6h or \"2 days\" (default: the latest 1 - model.train-fraction of rows).")
  String window;

  @Option(names = "--force", description = "Skip the quality gate.")
  boolean force;

  @Override
  int run(JobContext context) {
    FraudLakeConfig config = context.config();
    PromotionGate gate = PromotionGate.fromConfig(config);
    if (minRocAuc != null) {
      gate = gate.withMinRocAuc(minRocAuc);
    }
    if (tolerance != null) {
      gate = new PromotionGate(gate.minRocAuc(), tolerance);
    }
    PromotionJob.EvaluationWindow evaluationWindow = window != null
        ? PromotionJob.EvaluationWindow.last(parseDuration(window))
        : PromotionJob.EvaluationWindow.afterTrainFraction(config.decimal("model.train-fraction"));
    String modelName = model != null ? model : config.string("model.name");
    String toAlias = to != null ? to : config.string("scoring.alias");
    PrintStream out = System.out;
    if (force) {
      out.println("promote: WARNING: --force given, the quality gate is SKIPPED: @" + from + " becomes @" + toAlias
          + " without any evaluation");
    }
    try (ModelRegistry registry = ModelRegistries.fromEnvironment(config, System.getenv())) {
      PromotionJob job = new PromotionJob(context.lakehouse(), ModelSources.store(config, registry),
          Progress.to(out, "promote"));
      PromotionJob.Result result = job.promote(modelName, from, toAlias, gate, evaluationWindow, force);
      if (!result.changed()) {
        out.println(modelName + ": nothing to do, " + result.reason());
      } else {
        out.println(result.reason());
        out.println(modelName + " @" + toAlias + ": "
            + (result.previous() == null ? "(none)" : "version " + result.previous()) + " -> version " + result.promoted());
      }
    }
    return 0;
  }

  /** Durations as the configuration writes them: 6h, 30m, "2 days". */
  static Duration parseDuration(String text) {
    try {
      return ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
    } catch (ConfigException e) {
      throw new IllegalArgumentException("cannot read --window '" + text + "' as a duration: use e.g. 6h, 30m or \"2 days\"");
    }
  }
}
