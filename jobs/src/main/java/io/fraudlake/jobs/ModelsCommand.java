package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.training.ModelCatalog;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "models", mixinStandardHelpOptions = true,
    description = {
        "List registered models with their versions, aliases, creation time, run id and ROC-AUC / PR-AUC.",
        "'models show models:/fraud_isolation_forest@prod' prints one version's signature, parameters, metrics "
            + "and artifact location."},
    subcommands = ModelsCommand.Show.class)
final class ModelsCommand extends FraudLakeCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this registered model.")
  String name;

  @Override
  int run(JobContext context) {
    try (ModelRegistry registry = ModelRegistries.fromEnvironment(context.config(), System.getenv())) {
      print(new ModelCatalog(registry).list(name));
    }
    return 0;
  }

  static void print(List<String> lines) {
    PrintStream out = System.out;
    lines.forEach(out::println);
    out.flush();
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print one model version: models:/NAME/VERSION or models:/NAME@ALIAS.")
  static final class Show extends FraudLakeCommand {
    @Parameters(index = "0", paramLabel = "MODEL_URI", description = "e.g. models:/fraud_isolation_forest@prod")
    String uri;

    @Override
    int run(JobContext context) {
      FraudLakeConfig config = context.config();
      try (ModelRegistry registry = ModelRegistries.fromEnvironment(config, System.getenv())) {
        print(new ModelCatalog(registry).show(uri, ModelSources.store(config, registry)));
      }
      return 0;
    }
  }
}
