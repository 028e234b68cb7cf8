package io.fraudlake.silver;

import io.fraudlake.features.ModelFeatures;

/**
 * The eight model features of one transaction, as {@link WindowFeatures} computes them, with the
 * types silver stores. {@link #get} reads them by position in {@link ModelFeatures#NAMES}' order,
 * the order a model reads them.
 */
public record FeatureValues(double amount, double logAmount, int highValue, int international, long count, double mean,
    double stddev, long productDiversity) {

  /** The feature at {@code position} in {@link ModelFeatures#NAMES}' order. */
  public double get(int position) {
    return switch (position) {
      case 0 -> amount;
      case 1 -> logAmount;
      case 2 -> highValue;
      case 3 -> international;
      case 4 -> count;
      case 5 -> mean;
      case 6 -> stddev;
      case 7 -> productDiversity;
      default -> throw new IndexOutOfBoundsException("feature " + position + " of " + ModelFeatures.NAMES.size());
    };
  }
}
