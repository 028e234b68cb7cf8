package io.fraudlake.demo;

import io.fraudlake.FraudLakeException;
import java.time.Instant;

/**
 * What the demo generates. The event-time origin is fixed rather than "now" so that running the demo
 * twice with the same seed gives the same tables and the same report.
 *
 * @param rows transactions to generate
 * @param days simulated days the events cover
 * @param seed generator seed
 */
public record DemoOptions(long rows, int days, long seed) {
  public static final long DEFAULT_ROWS = 200_000;
  public static final int DEFAULT_DAYS = 3;
  public static final long DEFAULT_SEED = 42;
  public static final Instant START = Instant.parse("2024-03-01T00:00:00Z");

  public DemoOptions {
    if (rows <= 0) {
      throw new FraudLakeException("--rows must be positive, got " + rows);
    }
    if (days <= 0) {
      throw new FraudLakeException("--days must be positive, got " + days);
    }
  }
}
