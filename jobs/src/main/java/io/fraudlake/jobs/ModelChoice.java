package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ModelSource;
import io.fraudlake.scoring.ModelSources;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model options of the commands that score ({@code score}, {@code run}, {@code serve}). */
final class ModelChoice {
  @Option(names = "--model-path", paramLabel = "DIR",
      description = "Use this saved model (MLflow model directory or Spark ML folder) instead of the registry's.")
  Path modelPath;

  @Option(names = "--model", paramLabel = "URI",
      description = "Registry model URI (default: models:/<model.name>@<scoring.alias>).")
  String modelUri;

  /** Refuses both options at once; called before any work, so the mistake costs nothing. */
  void check() {
    if (modelPath != null && modelUri != null) {
      throw new FraudLakeException("give either --model-path or --model, not both");
    }
  }

  ModelSource source(FraudLakeConfig config) {
    check();
    return ModelSources.choose(config, modelPath, modelUri, System.getenv());
  }
}
