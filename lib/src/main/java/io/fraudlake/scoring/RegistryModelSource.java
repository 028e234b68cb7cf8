package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.spark.Lakehouse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The production model behind a registry URI such as {@code models:/fraud_isolation_forest@prod}:
 * the alias is resolved on every {@link #currentVersion()} call, and a version is downloaded (once,
 * into a local cache folder) and loaded when it is first needed.
 */
public final class RegistryModelSource implements ModelSource {
  private final ModelRegistry registry;
  private final ModelUri uri;
  private final Path cacheDir;

  public RegistryModelSource(ModelRegistry registry, ModelUri uri, Path cacheDir) {
    this.registry = registry;
    this.uri = uri;
    this.cacheDir = cacheDir;
  }

  @Override
  public String describe() {
    return uri + " (" + registry.describe() + ")";
  }

  @Override
  public String currentVersion() {
    try {
      return Long.toString(registry.resolve(uri).version());
    } catch (RuntimeException e) {
      throw new ModelSourceUnavailableException(Lakehouse.rootMessage(e), e);
    }
  }

  @Override
  public ScoringModel load(String version) {
    Path local = cacheDir.resolve(uri.name()).resolve(version);
    if (!Files.isRegularFile(local.resolve(MlflowModelDirectory.MLMODEL))) {
      ModelVersionInfo info;
      try {
        info = registry.getModelVersion(uri.name(), Long.parseLong(version));
        Path partial = cacheDir.resolve(uri.name()).resolve(version + ".download");
        // Downloaded beside its final place and renamed, so a crash never leaves a half model behind.
        Folders.deleteRecursively(partial);
        Files.createDirectories(partial.getParent());
        registry.downloadModelVersion(info, partial);
        Files.move(partial, local);
      } catch (FraudLakeException e) {
        throw new ModelSourceUnavailableException(Lakehouse.rootMessage(e), e);
      } catch (java.io.IOException e) {
        throw new FraudLakeException("cannot cache model version " + version + " in " + local + ": " + e.getMessage(), e);
      }
    }
    MlflowModelDirectory dir = MlflowModelDirectory.read(local);
    String label = uri.name() + " v" + version;
    return new ScoringModel(uri.name(), version, ModelDirectorySource.loadTransformer(dir.sparkModelPath()),
        MlflowSignatures.inputSchema(dir.signature(), label), "models:/" + uri.name() + "/" + version,
        ModelDirectorySource.featureReference(dir, label));
  }
}
