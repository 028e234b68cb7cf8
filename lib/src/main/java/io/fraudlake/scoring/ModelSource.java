package io.fraudlake.scoring;

/**
 * Where the production model comes from: a registry alias ({@code models:/name@prod}) or a fixed
 * saved model directory. Resolving is cheap (which version is current?); loading is expensive and
 * happens only when the version changes. Both throw {@link ModelSourceUnavailableException} when the
 * source cannot be reached, so a running stream can keep the model it has.
 */
public interface ModelSource {
  /** What the user configured, e.g. {@code models:/fraud_isolation_forest@prod}. */
  String describe();

  /** The version the source designates now. */
  String currentVersion();

  /** Loads one version (as returned by {@link #currentVersion()}). */
  ScoringModel load(String version);

  /** What the registry records of {@code version}; empty for a model that is not in a registry. */
  default java.util.Optional<RegistryRecord> registryRecord(String version) {
    return java.util.Optional.empty();
  }
}
