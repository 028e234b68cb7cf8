package io.fraudlake.registry;

import java.util.Objects;

/** One metric value as MLflow stores it: key, value, time in epoch milliseconds and step. */
public record Metric(String key, double value, long timestamp, long step) {
  public Metric {
    Objects.requireNonNull(key, "key");
  }

  public static Metric of(String key, double value, long step) {
    return new Metric(key, value, System.currentTimeMillis(), step);
  }
}
