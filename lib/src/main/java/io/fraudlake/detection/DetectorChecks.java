package io.fraudlake.detection;

import io.fraudlake.FraudLakeException;

/**
 * The checks of the parameters every detector shares, each failing with one line that names the
 * detector, the parameter and the value, so a bad value reads the same whichever detector has it.
 */
public final class DetectorChecks {
  private DetectorChecks() {}

  /** The expected share of anomalies, which places the threshold: in (0, 0.5]. */
  public static double contamination(String detector, double value) {
    if (!(value > 0.0 && value <= 0.5)) {
      throw new FraudLakeException(detector + ": contamination must be in (0, 0.5], got " + value);
    }
    return value;
  }

  public static double threshold(String detector, double value) {
    if (!Double.isFinite(value)) {
      throw new FraudLakeException(detector + ": threshold must be a finite number, got " + value);
    }
    return value;
  }

  /** An integer parameter with a lower bound: {@code param} of {@code detector} must be at least {@code minimum}. */
  public static int atLeast(String detector, String param, int minimum, int value) {
    if (value < minimum) {
      throw new FraudLakeException(detector + ": " + param + " must be at least " + minimum + ", got " + value);
    }
    return value;
  }
}
