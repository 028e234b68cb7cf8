package io.fraudlake.silver;

import io.fraudlake.features.ModelFeatures;

/**
 * The eight model features of one transaction, as {@link WindowFeatures} computes them, with the
 * types silver stores. {@link #toArray} gives them in {@link ModelFeatures#NAMES}' order, the order
 * a model reads them.
 */
public record FeatureValues(double amount, double logAmount, int highValue, int international, long count, double mean,
    double stddev, long productDiversity) {

  /** The features as the model's input vector, in {@link ModelFeatures#NAMES}' order. */
  public double[] toArray() {
    return new double[] {amount, logAmount, highValue, international, count, mean, stddev, productDiversity};
  }
}
