package io.fraudlake.jobs;

import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.training.Progress;
import io.fraudlake.training.QualityFloors;
import io.fraudlake.training.TimeSplit;
import io.fraudlake.training.TrainingJob;
import io.fraudlake.training.TrainingResult;
import io.fraudlake.training.TrainingSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = {
        "Fit a detector (the Isolation Forest by default) on the earlier part of silver_transactions_base, evaluate it against the labels "
            + "of the later part, log the run to the registry and register a new model version.",
        "The first version of a model also becomes @prod; later ones get --alias (default challenger) and reach "
            + "prod through 'promote'."})
final class TrainCommand extends FraudLakeCommand {
  @Option(names = "--algorithm", paramLabel = "NAME",
      description = "Detector to fit: iforest, eif or autoencoder (default: model.algorithm, iforest); "
          + "'compare' trains several side by side.")
  String algorithm;

  @Option(names = "--trees", paramLabel = "N", description = "Number of trees (default: model.trees, 200).")
  Integer trees;

  @Option(names = "--samples", paramLabel = "N", description = "Samples per tree (default: model.samples-per-tree, 256).")
  Integer samples;

  @Option(names = "--contamination", paramLabel = "FRACTION",
      description = "Expected fraud share; sets the alert threshold (default: model.contamination, 0.035).")
  Double contamination;

  @Option(names = "--max-features", paramLabel = "FRACTION",
      description = "Fraction of the 8 features each tree draws (default: model.max-features, 1.0).")
  Double maxFeatures;

  @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: model.seed, 42).")
  Long seed;

  @Option(names = "--bootstrap", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
      description = "Draw each tree's samples with replacement (default: model.bootstrap, false).")
  Boolean bootstrap;

  @Option(names = "--train-fraction", paramLabel = "FRACTION",
      description = "Train on this earliest fraction of silver by event time (default: model.train-fraction, 0.8).")
  Double trainFraction;

  @Option(names = "--train-until", paramLabel = "TIMESTAMP",
      description = "Train on events before this time and evaluate on the rest, e.g. 2024-03-01T12:00:00Z "
          + "(instead of --train-fraction).")
  String trainUntil;

  @Option(names = "--alias", paramLabel = "ALIAS", defaultValue = "challenger",
      description = "Alias for the new version (default: ${DEFAULT-VALUE}).")
  String alias;

  @Option(names = "--require-quality",
      description = "Register the model only if its held-out ROC-AUC and PR-AUC reach model.quality.min-roc-auc and "
          + "model.quality.min-pr-auc; below either floor nothing is registered and the command exits 1 "
          + "(default: model.quality.enforce, false).")
  boolean requireQuality;

  @Override
  int run(JobContext context) {
    Map<String, String> overrides = new LinkedHashMap<>();
    put(overrides, "model.algorithm", algorithm);
    put(overrides, "model.trees", trees);
    put(overrides, "model.samples-per-tree", samples);
    put(overrides, "model.contamination", contamination);
    put(overrides, "model.max-features", maxFeatures);
    put(overrides, "model.seed", seed);
    put(overrides, "model.bootstrap", bootstrap);
    put(overrides, "model.train-fraction", trainFraction);
    if (requireQuality) {
      overrides.put(QualityFloors.ENFORCE_KEY, "true");
    }
    if (trainUntil != null && trainFraction != null) {
      throw new IllegalArgumentException("use either --train-fraction or --train-until, not both");
    }
    var config = context.config().with(overrides);
    TrainingSettings settings = TrainingSettings.fromConfig(config);
    if (trainUntil != null) {
      settings = settings.withTrainUntil(TimeSplit.parseTime(trainUntil));
    }
    PrintStream out = System.out;
    try (ModelRegistry registry = ModelRegistries.fromEnvironment(config, System.getenv())) {
      TrainingJob job = new TrainingJob(context.lakehouse(), ModelSources.store(config, registry),
          Progress.to(out, "train"));
      TrainingResult result = job.run(settings, alias, config.string("scoring.alias"));
      printSummary(out, result);
    }
    return 0;
  }

  private static void put(Map<String, String> overrides, String key, Object value) {
    if (value != null) {
      overrides.put(key, value.toString());
    }
  }

  private static void printSummary(PrintStream out, TrainingResult result) {
    out.println();
    out.printf(Locale.ROOT, "Registered %s version %d  @%s%n", result.modelName(), result.version(),
        String.join(" @", result.aliases()));
    out.printf(Locale.ROOT, "  run        %s (experiment id %s, %s)%n", result.runId(), result.experimentId(), result.registry());
    out.printf(Locale.ROOT, "  trained on %s%n", result.train().describe());
    out.printf(Locale.ROOT, "  evaluated  %s%n", result.evaluation().describe());
    result.evaluationSummary().forEach(out::println);
    out.printf(Locale.ROOT, "  report     %s%n", result.reportDir());
    for (Path plot : result.plots()) {
      out.printf(Locale.ROOT, "  plot       %s%n", plot);
    }
    out.printf(Locale.ROOT, "  model URI  %s%n", result.modelUri());
    out.flush();
  }
}
