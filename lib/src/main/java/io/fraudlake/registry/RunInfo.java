package io.fraudlake.registry;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A tracked run as the registry reports it. {@code metrics} holds the latest value of each metric
 * (the one with the highest step, as MLflow shows it); {@code endTime} is empty while the run is
 * active.
 */
public record RunInfo(
    String runId,
    String experimentId,
    String runName,
    RunStatus status,
    Instant startTime,
    Optional<Instant> endTime,
    String artifactUri,
    Map<String, String> params,
    Map<String, Double> metrics,
    Map<String, String> tags) {
  public RunInfo {
    params = Map.copyOf(params);
    metrics = Map.copyOf(metrics);
    tags = Map.copyOf(tags);
  }
}
