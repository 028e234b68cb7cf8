package io.fraudlake.registry;

import java.time.Instant;
import java.util.Map;

/** A registered model with its aliases (alias name to version number). */
public record RegisteredModelInfo(
    String name, Instant creationTime, Instant lastUpdatedTime, Map<String, Long> aliases) {
  public RegisteredModelInfo {
    aliases = Map.copyOf(aliases);
  }
}
