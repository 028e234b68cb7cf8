package io.fraudlake.iforest;

import java.util.Arrays;

/**
 * The forest laid out for the CPU: every node of every tree in one long array, two longs per node
 * (see {@link ForestArrays#nodes}). A node's next node is {@code child + (x[feature] > split ? 1 : 0)}; a leaf points at itself with an
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
  private final int[] groupHeights;
  private final long[] nodes;
  private final double[] leafPathLength;
  private final double normalizer;

  FlatForest(ForestArrays arrays) {
    this.arrays = arrays;
    this.roots = arrays.roots;
    this.heights = arrays.heights;
    this.groupHeights = new int[roots.length / 4];
    for (int g = 0; g < groupHeights.length; g++) {
      for (int t = 4 * g; t < 4 * g + 4; t++) {
        groupHeights[g] = Math.max(groupHeights[g], heights[t]);
      }
    }
    this.nodes = arrays.nodes;
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

  /**
   * s(x) = 2^(−E[h(x)] / c(ψ)), in (0, 1]; higher is more anomalous. Features must be finite.
   *
   * <p>Four trees are walked side by side, each for the height of the tallest of the four (a leaf
   * stays put), so the CPU overlaps four independent chains of loads.
   */
  public double score(double[] features) {
    checkWidth(features);
    double total = 0.0;
    int t = 0;
    for (; t + 4 <= roots.length; t += 4) {
      int a = roots[t];
      int b = roots[t + 1];
      int c = roots[t + 2];
      int d = roots[t + 3];
      for (int step = groupHeights[t >> 2]; step > 0; step--) {
        a = next(a, features);
        b = next(b, features);
        c = next(c, features);
        d = next(d, features);
      }
      total += leafPathLength[a];
      total += leafPathLength[b];
      total += leafPathLength[c];
      total += leafPathLength[d];
    }
    for (; t < roots.length; t++) {
      int node = roots[t];
      for (int step = heights[t]; step > 0; step--) {
        node = next(node, features);
      }
      total += leafPathLength[node];
    }
    return toScore(total);
  }

  /**
   * Scores many rows at once. Rows are copied in blocks into one contiguous array and walked tree by
   * tree, so the independent walks of a block overlap in the CPU.
   */
  public void score(double[][] rows, double[] out) {
    if (out.length < rows.length) {
      throw new IllegalArgumentException("out has " + out.length + " slots for " + rows.length + " rows");
    }
    int width = arrays.numFeatures;
    double[] block = new double[BLOCK * width];
    int[] walk = new int[BLOCK];
    double[] totals = new double[BLOCK];
    for (int start = 0; start < rows.length; start += BLOCK) {
      int count = Math.min(BLOCK, rows.length - start);
      for (int i = 0; i < count; i++) {
        checkWidth(rows[start + i]);
        System.arraycopy(rows[start + i], 0, block, i * width, width);
      }
      Arrays.fill(totals, 0, count, 0.0);
      for (int t = 0; t < roots.length; t++) {
        Arrays.fill(walk, 0, count, roots[t]);
        for (int step = heights[t]; step > 0; step--) {
          for (int i = 0; i < count; i++) {
            int node = walk[i];
            long childAndFeature = nodes[2 * node + 1];
            double split = Double.longBitsToDouble(nodes[2 * node]);
            walk[i] = (int) (childAndFeature >>> 32)
                + (int) (Double.doubleToRawLongBits(split - block[i * width + (int) childAndFeature]) >>> 63);
          }
        }
        for (int i = 0; i < count; i++) {
          totals[i] += leafPathLength[walk[i]];
        }
      }
      for (int i = 0; i < count; i++) {
        out[start + i] = toScore(totals[i]);
      }
    }
  }

  private int next(int node, double[] x) {
    long childAndFeature = nodes[2 * node + 1];
    double split = Double.longBitsToDouble(nodes[2 * node]);
    return (int) (childAndFeature >>> 32)
        + (int) (Double.doubleToRawLongBits(split - x[(int) childAndFeature]) >>> 63);
  }

  private double toScore(double totalPathLength) {
    return Math.pow(2.0, -totalPathLength / normalizer);
  }

  private void checkWidth(double[] features) {
    if (features.length != arrays.numFeatures) {
      throw new IllegalArgumentException(
          "expected " + arrays.numFeatures + " features, got " + features.length);
    }
    for (double value : features) {
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException("features must be finite numbers, got " + value);
      }
    }
  }
}
