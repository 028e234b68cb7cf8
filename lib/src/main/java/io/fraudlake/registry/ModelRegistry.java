package io.fraudlake.registry;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Experiment tracking and model registry with MLflow's vocabulary: experiments hold runs, runs hold
 * params, metrics, tags and artifacts, registered models hold numbered versions made from a run's
 * artifacts, and aliases ({@code prod}, {@code challenger}) point at versions.
 *
 * <p>Two backends give the same operations: {@link LocalModelRegistry} (MLflow's file-store layout
 * under the runtime folder, no services) and {@link MlflowModelRegistry} (an MLflow tracking server
 * or Databricks). {@link ModelRegistries#fromEnvironment} picks one. Every failure the user can fix
 * (unknown model, missing alias, unreachable server, rejected credentials) is a
 * {@link io.fraudlake.FraudLakeException} with a one-line message that never contains a secret.
 *
 * <p>Artifact paths are relative, '/'-separated paths inside a run's artifact root; {@code ""} or
 * {@code null} means the root.
 */
public interface ModelRegistry extends AutoCloseable {

  /** Where this registry lives, for logs and messages: a folder or a server URL, never a secret. */
  String describe();

  // ---- tracking --------------------------------------------------------------------------------

  /** The id of the active experiment called {@code name}, created when it does not exist. */
  String getOrCreateExperiment(String name);

  /** Starts a run in the experiment and returns its id; {@code runName} may be null. */
  String startRun(String experimentId, String runName, Map<String, String> tags);

  /** Logs params; MLflow refuses to change a param that was already logged with another value. */
  void logParams(String runId, Map<String, String> params);

  void logMetric(String runId, String key, double value, long step);

  /** Logs several metrics at the same step and time. */
  void logMetrics(String runId, Map<String, Double> metrics, long step);

  void setTags(String runId, Map<String, String> tags);

  /** Params, metrics and tags in one call (MLflow's log-batch). */
  void logBatch(String runId, Map<String, String> params, List<Metric> metrics, Map<String, String> tags);

  /** Copies one file to {@code <artifactPath>/<file name>} in the run's artifacts. */
  void logArtifact(String runId, Path localFile, String artifactPath);

  /** Copies the contents of a local directory, recursively, under {@code artifactPath}. */
  void logArtifacts(String runId, Path localDir, String artifactPath);

  /** Marks the run as ended with a terminal status (FINISHED, FAILED or KILLED). */
  void endRun(String runId, RunStatus status);

  RunInfo getRun(String runId);

  /**
   * Copies the run's artifacts under {@code artifactPath} (a file or a directory) into
   * {@code destination} and returns the local path of what was downloaded.
   */
  Path downloadRunArtifacts(String runId, String artifactPath, Path destination);

  // ---- registry --------------------------------------------------------------------------------

  /** Gets or creates the registered model: calling it again with the same name is harmless. */
  RegisteredModelInfo createRegisteredModel(String name);

  List<RegisteredModelInfo> listRegisteredModels();

  /**
   * Registers the run's artifacts under {@code artifactPath} (the logged model directory) as the
   * model's next version. Concurrent callers always get distinct version numbers.
   */
  ModelVersionInfo createModelVersion(String name, String runId, String artifactPath);

  ModelVersionInfo getModelVersion(String name, long version);

  /** All versions of the model, newest (highest number) first. */
  List<ModelVersionInfo> searchModelVersions(String name);

  /** Points {@code alias} at {@code version}, moving it if it pointed elsewhere. */
  void setAlias(String name, String alias, long version);

  /** Removes the alias; removing an alias that is not set is not an error. */
  void deleteAlias(String name, String alias);

  ModelVersionInfo getModelVersionByAlias(String name, String alias);

  /** The version a {@code models:/} URI names right now. */
  default ModelVersionInfo resolve(ModelUri uri) {
    return uri.isAlias()
        ? getModelVersionByAlias(uri.name(), uri.alias())
        : getModelVersion(uri.name(), uri.version().getAsLong());
  }

  default ModelVersionInfo resolve(String modelUri) {
    return resolve(ModelUri.parse(modelUri));
  }

  /**
   * Copies the version's files (the MLflow model directory) into {@code destination}, which is
   * created; returns {@code destination}, so that {@code destination/MLmodel} exists afterwards.
   */
  Path downloadModelVersion(ModelVersionInfo version, Path destination);

  /** Releases connections; the local registry holds none. */
  @Override
  void close();
}
