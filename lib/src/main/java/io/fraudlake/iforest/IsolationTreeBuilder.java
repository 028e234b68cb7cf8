package io.fraudlake.iforest;

import java.util.SplittableRandom;

/**
 * Grows one isolation tree from a sample, as scikit-learn's extra-tree with one random feature per
 * split does: a random feature among those not constant in the node, a split drawn uniformly in
 * [min, max) of that feature, and a leaf when one point is left, the height limit is reached or every
 * candidate feature is constant.
 */
final class IsolationTreeBuilder {
  private final double[][] rows;
  private final int[] candidateFeatures;
  private final int[] featureScratch;
  private final int heightLimit;
  private final SplittableRandom random;
  private final int[] order;
  private final int[] feature;
  private final double[] split;
  private final int[] left;
  private final int[] size;
  private int nodesUsed;

  private IsolationTreeBuilder(double[][] rows, int[] candidateFeatures, int heightLimit, SplittableRandom random) {
    this.rows = rows;
    this.candidateFeatures = candidateFeatures.clone();
    this.featureScratch = new int[candidateFeatures.length];
    this.heightLimit = heightLimit;
    this.random = random;
    this.order = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      order[i] = i;
    }
    int maxNodes = Math.max(1, 2 * rows.length - 1);
    this.feature = new int[maxNodes];
    this.split = new double[maxNodes];
    this.left = new int[maxNodes];
    this.size = new int[maxNodes];
  }

  static IsolationTree grow(double[][] rows, int[] candidateFeatures, int heightLimit, SplittableRandom random) {
    if (rows.length == 0) {
      throw new IllegalArgumentException("an isolation tree needs at least one row");
    }
    IsolationTreeBuilder builder = new IsolationTreeBuilder(rows, candidateFeatures, heightLimit, random);
    builder.nodesUsed = 1;
    builder.grow(0, 0, rows.length, 0);
    return builder.result();
  }

  private void grow(int node, int from, int to, int depth) {
    size[node] = to - from;
    feature[node] = IsolationTree.LEAF;
    left[node] = IsolationTree.LEAF;
    if (depth >= heightLimit || to - from <= 1) {
      return;
    }
    System.arraycopy(candidateFeatures, 0, featureScratch, 0, candidateFeatures.length);
    int remaining = featureScratch.length;
    while (remaining > 0) {
      int pick = random.nextInt(remaining);
      int f = featureScratch[pick];
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        double v = rows[order[i]][f];
        if (v < min) {
          min = v;
        }
        if (v > max) {
          max = v;
        }
      }
      if (max > min) {
        splitNode(node, from, to, depth, f, min, max);
        return;
      }
      // A constant feature cannot separate these points: draw again among the others.
      featureScratch[pick] = featureScratch[remaining - 1];
      remaining--;
    }
  }

  private void splitNode(int node, int from, int to, int depth, int f, double min, double max) {
    double threshold = min + random.nextDouble() * (max - min);
    if (threshold >= max) {
      // Rounding can land on max, which would leave the right side empty; scikit-learn falls back to min.
      threshold = min;
    }
    int boundary = from;
    for (int i = from; i < to; i++) {
      if (rows[order[i]][f] <= threshold) {
        int swap = order[boundary];
        order[boundary] = order[i];
        order[i] = swap;
        boundary++;
      }
    }
    int child = nodesUsed;
    nodesUsed += 2;
    feature[node] = f;
    split[node] = threshold;
    left[node] = child;
    grow(child, from, boundary, depth + 1);
    grow(child + 1, boundary, to, depth + 1);
  }

  private IsolationTree result() {
    return new IsolationTree(
        java.util.Arrays.copyOf(feature, nodesUsed),
        java.util.Arrays.copyOf(split, nodesUsed),
        java.util.Arrays.copyOf(left, nodesUsed),
        java.util.Arrays.copyOf(size, nodesUsed));
  }
}
