package io.fraudlake.scoring;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import java.nio.file.Path;
import java.util.Map;

/** Picks the model source a scoring command asked for. */
public final class ModelSources {
  private ModelSources() {}

  /**
   * {@code modelPath} set: that saved model. Otherwise {@code modelUri}, or by default
   * {@code models:/<model.name>@<scoring.alias>}, in the registry the environment selects
   * (MLFLOW_TRACKING_URI; unset = the local registry under the runtime folder).
   */
  public static ModelSource choose(FraudLakeConfig config, Path modelPath, String modelUri, Map<String, String> env) {
    if (modelPath != null) {
      return ModelDirectorySource.of(modelPath, config.string("model.name"));
    }
    ModelUri uri = ModelUri.parse(modelUri != null ? modelUri : defaultUri(config));
    return new RegistryModelSource(store(config, env), uri);
  }

  /** The model store of the registry the environment selects, with the runtime folder's model cache. */
  public static ModelStore store(FraudLakeConfig config, Map<String, String> env) {
    return store(config, ModelRegistries.fromEnvironment(config, env));
  }

  /** The model store of {@code registry}, with the runtime folder's model cache. */
  public static ModelStore store(FraudLakeConfig config, ModelRegistry registry) {
    return new ModelStore(registry, cacheDir(config));
  }

  public static Path cacheDir(FraudLakeConfig config) {
    return config.home().resolve("model-cache");
  }

  public static String defaultUri(FraudLakeConfig config) {
    return "models:/" + config.string("model.name") + "@" + config.string("scoring.alias");
  }
}
