package io.fraudlake.jobs;

import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.training.ComparisonJob;
import io.fraudlake.training.Detectors;
import io.fraudlake.training.Progress;
import io.fraudlake.training.TimeSplit;
import io.fraudlake.training.TrainingSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compare", mixinStandardHelpOptions = true,
    description = {
        "Train several detectors on the same out-of-time split of silver_transactions_base, evaluate them on the same "
            + "later rows, log one run per detector under one parent run (with overlaid ROC and precision-recall "
            + "curves), print a table, and register the best by --metric with --alias (default challenger).",
        "'promote' then takes it to @prod through the quality gate."})
final class CompareCommand extends FraudLakeCommand {
  @Option(names = "--algorithms", paramLabel = "A,B,...", split = ",",
      description = "Detectors to compare (default: all of them).")
  List<String> algorithms;

  @Option(names = "--metric", paramLabel = "NAME", defaultValue = "pr_auc",
      description = "Metric that picks the best: pr_auc, roc_auc, precision_at_threshold, precision_at_100, ... "
          + "(default: ${DEFAULT-VALUE}).")
  String metric;

  @Option(names = "--alias", paramLabel = "ALIAS", defaultValue = "challenger",
      description = "Alias for the best model's new version (default: ${DEFAULT-VALUE}).")
  String alias;

  @Option(names = "--train-until", paramLabel = "TIMESTAMP",
      description = "Train on events before this time and evaluate on the rest (default: model.train-fraction).")
  String trainUntil;

  @Override
  int run(JobContext context) {
    TrainingSettings settings = TrainingSettings.fromConfig(context.config());
    if (trainUntil != null) {
      settings = settings.withTrainUntil(TimeSplit.parseTime(trainUntil));
    }
    List<String> chosen = algorithms == null ? Detectors.ALGORITHMS : algorithms;
    PrintStream out = System.out;
    try (ModelRegistry registry = ModelRegistries.fromEnvironment(context.config(), System.getenv())) {
      ComparisonJob job = new ComparisonJob(context.lakehouse(), ModelSources.store(context.config(), registry),
          Progress.to(out, "compare"));
      ComparisonJob.Result result = job.run(settings, chosen, metric, alias, context.config().string("scoring.alias"));
      out.println();
      ComparisonJob.table(result.entries(), result.metric(),
          result.entries().stream().filter(e -> e.algorithm().equals(result.best())).findFirst().orElseThrow())
          .forEach(out::println);
      out.println();
      out.printf(Locale.ROOT, "Registered %s version %d (%s)  @%s%n", result.modelName(), result.version(), result.best(),
          String.join(" @", result.aliases()));
      out.printf(Locale.ROOT, "  parent run %s%n", result.parentRunId());
      for (Path plot : result.plots()) {
        out.printf(Locale.ROOT, "  plot       %s%n", plot);
      }
      out.printf(Locale.ROOT, "  model URI  %s%n", result.modelUri());
    }
    return 0;
  }
}
