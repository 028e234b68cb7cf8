package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.demo.DemoOptions;
import io.fraudlake.demo.DemoReport;
import io.fraudlake.demo.DemoRun;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.spark.JobLeases;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "The whole pipeline in one command: generate transactions, ingest them into bronze and silver, train and "
            + "register the model (@prod), score silver into gold, then report what each stage holds and what was caught.",
        "Runs in <home>/demo, which is deleted and rebuilt each time so a re-run gives the same report."})
final class DemoCommand extends FraudLakeCommand {
  static final String FOLDER = "demo";

  @Option(names = "--rows", paramLabel = "N", defaultValue = "" + DemoOptions.DEFAULT_ROWS,
      description = "Transactions to generate (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--days", paramLabel = "N", defaultValue = "" + DemoOptions.DEFAULT_DAYS,
      description = "Simulated days the transactions cover (default: ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "" + DemoOptions.DEFAULT_SEED,
      description = "Generator seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--fresh",
      description = "Delete <home>/demo even if a demo did not create it (it is always rebuilt when it did).")
  boolean fresh;

  @Override
  FraudLakeConfig config() {
    return global.config(configOverrides(), global.home().resolve(FOLDER));
  }

  @Override
  Map<String, String> configOverrides() {
    // Spark's progress bar would redraw over the demo's step lines.
    return Map.of("spark.console-progress", "false");
  }

  @Override
  int run(JobContext context) {
    DemoOptions options = new DemoOptions(rows, days, seed);
    FraudLakeConfig config = context.config();
    // The lease lies beside the folder, which the demo deletes and rebuilds: a second demo on the same home is refused.
    try (JobLeases lease = JobLeases.onFolder(context.lakehouse(), commandName(), "demo folder", config.home())) {
      DemoRun.prepareHome(config.home(), fresh);
      try (ModelRegistry registry = ModelRegistries.fromEnvironment(config, System.getenv())) {
        DemoReport report = new DemoRun(context.lakehouse(), registry, System.out).run(options);
        System.out.println(report.render());
      }
    }
    return 0;
  }
}
