package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.drift.DriftReport;
import io.fraudlake.drift.DriftSimulation;
import io.fraudlake.drift.DriftSimulationOptions;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "simulate-drift", mixinStandardHelpOptions = true,
    description = {
        "Trains a model on a reference period, then replays production batches whose customers drift (larger "
            + "amounts, more spending abroad, then a fraud pattern the reference never saw) and reports per batch "
            + "ROC-AUC, PR-AUC, alert rate, recall and each feature's PSI, and the batch where drift triggers retraining.",
        "With --retrain the trigger trains a challenger on the batches before it and makes it @prod if the promotion "
            + "gate passes. Report, CSV, JSON and plot: <home>/reports/simulate-drift/<time>/."})
final class SimulateDriftCommand extends FraudLakeCommand {
  @Option(names = "--batches", paramLabel = "N", defaultValue = "" + DriftSimulationOptions.DEFAULT_BATCHES,
      description = "Production batches (one simulated day each) after the reference (default: ${DEFAULT-VALUE}).")
  int batches;

  @Option(names = "--rows-per-batch", paramLabel = "N", defaultValue = "" + DriftSimulationOptions.DEFAULT_ROWS_PER_BATCH,
      description = "Transactions per batch; the reference holds " + DriftSimulationOptions.REFERENCE_DAYS
          + " times as many (default: ${DEFAULT-VALUE}).")
  long rowsPerBatch;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "" + DriftSimulationOptions.DEFAULT_SEED,
      description = "Generator seed: the same seed gives the same figures (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--retrain",
      description = "On the drift trigger, train a challenger on the latest batches and promote it if the gate passes.")
  boolean retrain;

  @Option(names = "--recent-batches", paramLabel = "K", defaultValue = "" + DriftSimulationOptions.DEFAULT_RECENT_BATCHES,
      description = "Batches before the trigger a challenger trains on (it is judged on the trigger batch); a retrain "
          + "also waits this many batches after the previous one (default: ${DEFAULT-VALUE}).")
  int recentBatches;

  @Option(names = "--model-name", paramLabel = "NAME",
      description = "Registered model of the simulation's versions (default: model.name + '"
          + DriftSimulationOptions.MODEL_SUFFIX + "', so the real @prod never moves).")
  String modelName;

  @Override
  Map<String, String> configOverrides() {
    // Spark's progress bar would redraw over the step lines.
    return Map.of("spark.console-progress", "false");
  }

  @Override
  int run(JobContext context) {
    FraudLakeConfig config = context.config();
    String name = modelName != null ? modelName : config.string("model.name") + DriftSimulationOptions.MODEL_SUFFIX;
    DriftSimulationOptions options = new DriftSimulationOptions(batches, rowsPerBatch, seed, retrain, recentBatches, name);
    DriftSimulation.requireMeasurable(options, config);
    try (ModelRegistry registry = ModelRegistries.fromEnvironment(config, System.getenv())) {
      DriftReport report = new DriftSimulation(context.spark(), config, registry, System.out, Clock.systemUTC())
          .run(options);
      System.out.println(report.render());
    }
    return 0;
  }
}
