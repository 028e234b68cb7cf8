package io.fraudlake.registry;

import java.time.Instant;
import java.util.List;

/**
 * One registered model version. {@code source} is where its files live (a {@code file:},
 * {@code mlflow-artifacts:}, {@code dbfs:}, {@code s3a:} ... URI); {@code status} is MLflow's
 * version status, {@code READY} once it can be loaded.
 */
public record ModelVersionInfo(
    String name,
    long version,
    String runId,
    String source,
    List<String> aliases,
    Instant creationTime,
    String status) {
  public ModelVersionInfo {
    aliases = List.copyOf(aliases);
  }

  /** The version's canonical {@code models:/name/version} URI. */
  public ModelUri uri() {
    return ModelUri.ofVersion(name, version);
  }
}
