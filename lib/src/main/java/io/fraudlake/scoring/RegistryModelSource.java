package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.spark.Lakehouse;
import java.util.Optional;

/**
 * The production model behind a registry URI such as {@code models:/fraud_isolation_forest@prod}:
 * the alias is resolved on every {@link #currentVersion()} call, and a version is loaded through the
 * {@link ModelStore} when it is first needed.
 */
public final class RegistryModelSource implements ModelSource {
  private final ModelStore store;
  private final ModelUri uri;

  public RegistryModelSource(ModelStore store, ModelUri uri) {
    this.store = store;
    this.uri = uri;
  }

  @Override
  public String describe() {
    return uri + " (" + store.describe() + ")";
  }

  @Override
  public String currentVersion() {
    try {
      return Long.toString(store.resolve(uri).version());
    } catch (RuntimeException e) {
      throw new ModelSourceUnavailableException(Lakehouse.rootMessage(e), e);
    }
  }

  /**
   * Loads one version. A registry that cannot be reached, or fails during the download, makes the
   * source unavailable (a running stream keeps the model it has); a model that is there but cannot
   * be used (wrong signature, a class not allowed) is an error.
   */
  @Override
  public ScoringModel load(String version) {
    ModelVersionInfo info;
    try {
      info = store.registry().getModelVersion(uri.name(), Long.parseLong(version));
    } catch (FraudLakeException e) {
      throw new ModelSourceUnavailableException(Lakehouse.rootMessage(e), e);
    }
    try {
      return store.load(info);
    } catch (ModelCache.DownloadFailedException e) {
      throw new ModelSourceUnavailableException(e.getMessage(), e);
    }
  }

  @Override
  public Optional<RegistryRecord> registryRecord(String version) {
    try {
      ModelVersionInfo info = store.registry().getModelVersion(uri.name(), Long.parseLong(version));
      Optional<RunInfo> run = Optional.empty();
      if (info.runId() != null) {
        try {
          run = Optional.of(store.registry().getRun(info.runId()));
        } catch (FraudLakeException e) {
          // A deleted run leaves its versions behind; the version is still described.
        }
      }
      return Optional.of(new RegistryRecord(info, run));
    } catch (FraudLakeException e) {
      throw new ModelSourceUnavailableException(Lakehouse.rootMessage(e), e);
    }
  }
}
