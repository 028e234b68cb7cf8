package io.fraudlake.iforest.extended;

import io.fraudlake.FraudLakeException;
import io.fraudlake.iforest.ForestTrainer;
import java.util.SplittableRandom;

/** What each executor grows from a tree's sample, at the extension level the estimator asked for. */
final class ExtendedTreeGrower implements ForestTrainer.TreeGrower<ExtendedIsolationTree> {
  private static final long serialVersionUID = 1L;
  /** Set when the user left extensionLevel unset: the fully extended forest, d − 1. */
  static final int FULLY_EXTENDED = -1;

  private final int requestedLevel;

  ExtendedTreeGrower(int requestedLevel) {
    this.requestedLevel = requestedLevel;
  }

  /** The extension level for vectors of {@code numFeatures}; one line naming a level that does not fit. */
  static int resolve(int requestedLevel, int numFeatures) {
    if (requestedLevel == FULLY_EXTENDED) {
      return numFeatures - 1;
    }
    if (requestedLevel < 0 || requestedLevel > numFeatures - 1) {
      throw new FraudLakeException("ExtendedIsolationForest: extensionLevel must be in 0.." + (numFeatures - 1)
          + " for " + numFeatures + " features, got " + requestedLevel);
    }
    return requestedLevel;
  }

  @Override
  public void checkWidth(int numFeatures) {
    resolve(requestedLevel, numFeatures);
  }

  @Override
  public ExtendedIsolationTree grow(int tree, double[][] sample, int numFeatures, int heightLimit,
      SplittableRandom random) {
    return ExtendedTreeBuilder.grow(sample, numFeatures, resolve(requestedLevel, numFeatures), heightLimit, random);
  }
}
