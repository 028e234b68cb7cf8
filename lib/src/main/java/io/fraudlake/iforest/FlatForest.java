package io.fraudlake.iforest;

import java.util.Arrays;

/**
 * The forest laid out for the CPU: every node of every tree in a few primitive arrays. A node's next
 * node is {@code child[n] + (x[feature[n]] > split[n] ? 1 : 0)}; a leaf points at itself with an
 * infinite split, so each tree is walked a fixed number of steps (its height) without branches on
 * the node type, and the leaf's path length (depth plus c(size)) is precomputed.
 *
 * <p>Immutable and thread-safe: scoring allocates nothing per row. Plain Java on purpose, usable
 * outside Spark; Spark ships the arrays (see {@link ForestArrays}), never this object.
 */
public final class FlatForest {
  private static final int BLOCK = 64;

  private final ForestArrays arrays;
  private final int[] roots;
  private final int[] heights;
  private final int[] feature;
  private final double[] split;
  private final int[] child;
  private final double[] leafPathLength;
  private final double normalizer;

  FlatForest(ForestArrays arrays) {
    this.arrays = arrays;
    this.roots = arrays.roots;
    this.heights = arrays.heights;
    this.feature = arrays.feature;
    this.split = arrays.split;
    this.child = arrays.child;
    this.leafPathLength = arrays.leafPathLength;
    this.normalizer = roots.length * PathLength.average(arrays.sampleSize);
  }

  static FlatForest of(IsolationTree[] trees, int sampleSize, int numFeatures) {
    return new FlatForest(ForestArrays.flatten(trees, sampleSize, numFeatures));
  }

  ForestArrays arrays() {
    return arrays;
  }

  public int numTrees() {
    return roots.length;
  }

  public int numFeatures() {
    return arrays.numFeatures;
  }

  /** ψ, the number of points each tree was grown from; c(ψ) normalises the score. */
  public int sampleSize() {
    return arrays.sampleSize;
  }

  /** s(x) = 2^(−E[h(x)] / c(ψ)), in (0, 1]; higher is more anomalous. */
  public double score(double[] features) {
    checkWidth(features);
    double total = 0.0;
    for (int t = 0; t < roots.length; t++) {
      int node = roots[t];
      for (int step = heights[t]; step > 0; step--) {
        node = child[node] + (features[feature[node]] > split[node] ? 1 : 0);
      }
      total += leafPathLength[node];
    }
    return toScore(total);
  }

  /**
   * Scores many rows at once. Rows are walked in blocks, tree by tree, so the independent walks of a
   * block overlap in the CPU instead of waiting on each other's memory loads.
   */
  public void score(double[][] rows, double[] out) {
    if (out.length < rows.length) {
      throw new IllegalArgumentException("out has " + out.length + " slots for " + rows.length + " rows");
    }
    for (double[] row : rows) {
      checkWidth(row);
    }
    int[] nodes = new int[BLOCK];
    double[] totals = new double[BLOCK];
    for (int start = 0; start < rows.length; start += BLOCK) {
      int count = Math.min(BLOCK, rows.length - start);
      Arrays.fill(totals, 0, count, 0.0);
      for (int t = 0; t < roots.length; t++) {
        Arrays.fill(nodes, 0, count, roots[t]);
        for (int step = heights[t]; step > 0; step--) {
          for (int i = 0; i < count; i++) {
            int node = nodes[i];
            nodes[i] = child[node] + (rows[start + i][feature[node]] > split[node] ? 1 : 0);
          }
        }
        for (int i = 0; i < count; i++) {
          totals[i] += leafPathLength[nodes[i]];
        }
      }
      for (int i = 0; i < count; i++) {
        out[start + i] = toScore(totals[i]);
      }
    }
  }

  private double toScore(double totalPathLength) {
    return Math.pow(2.0, -totalPathLength / normalizer);
  }

  private void checkWidth(double[] features) {
    if (features.length != arrays.numFeatures) {
      throw new IllegalArgumentException(
          "expected " + arrays.numFeatures + " features, got " + features.length);
    }
  }
}
