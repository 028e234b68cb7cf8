package io.fraudlake.iforest.extended;

import io.fraudlake.iforest.ForestPartitionScorer;
import io.fraudlake.iforest.PathLength;
import java.util.Arrays;

/**
 * An extended forest laid out for the CPU (see {@link ExtendedForestArrays}): a node's next node is
 * {@code child + (x·n > offset ? 1 : 0)}, and a leaf loops on itself, so each tree is walked its
 * height in steps without branching on the node type; a leaf's path length (depth plus c(size)) is
 * precomputed.
 *
 * <p>Immutable and thread-safe; scoring a row allocates nothing. Plain Java, usable outside Spark.
 */
public final class FlatExtendedForest {
  private final ExtendedForestArrays arrays;
  private final int numFeatures;
  private final int stride;
  private final int[] roots;
  private final int[] heights;
  private final double[] planes;
  private final int[] children;
  private final double[] leafPathLength;
  private final double normalizer;

  FlatExtendedForest(ExtendedForestArrays arrays) {
    this.arrays = arrays;
    this.numFeatures = arrays.numFeatures;
    this.stride = numFeatures + 1;
    this.roots = arrays.roots;
    this.heights = arrays.heights;
    this.planes = arrays.planes;
    this.children = arrays.children;
    this.leafPathLength = arrays.leafPathLength;
    this.normalizer = roots.length * PathLength.average(arrays.sampleSize);
  }

  static FlatExtendedForest of(ExtendedIsolationTree[] trees, int sampleSize, int numFeatures) {
    return new FlatExtendedForest(ExtendedForestArrays.flatten(trees, sampleSize, numFeatures));
  }

  ExtendedForestArrays arrays() {
    return arrays;
  }

  public int numTrees() {
    return roots.length;
  }

  public int numFeatures() {
    return numFeatures;
  }

  public int sampleSize() {
    return arrays.sampleSize;
  }

  /**
   * The tree builder's side test: summed in feature order, as {@link #next} sums, so a training row
   * on a plane goes the same way when it is scored.
   */
  static double dot(double[] x, double[] normal) {
    double sum = 0.0;
    for (int f = 0; f < normal.length; f++) {
      sum += x[f] * normal[f];
    }
    return sum;
  }

  /** s(x) = 2^(−E[h(x)] / c(ψ)), in (0, 1]; higher is more anomalous. Features must be finite. */
  public double score(double[] features) {
    checkRow(features);
    double total = 0.0;
    for (int t = 0; t < roots.length; t++) {
      int node = roots[t];
      for (int step = heights[t]; step > 0; step--) {
        node = next(node, features, 0);
      }
      total += leafPathLength[node];
    }
    return toScore(total);
  }

  /**
   * Scores many rows at once, copied in blocks of {@link ForestPartitionScorer#BLOCK_ROWS} into one
   * contiguous array and walked tree by tree (see {@link #scoreBlock}): several times faster than
   * {@link #score(double[])} row by row, which drags the whole forest through the caches per row.
   */
  public void score(double[][] rows, double[] out) {
    if (out.length < rows.length) {
      throw new IllegalArgumentException("out has " + out.length + " slots for " + rows.length + " rows");
    }
    int blockRows = ForestPartitionScorer.BLOCK_ROWS;
    double[] block = new double[blockRows * numFeatures];
    double[] scores = new double[blockRows];
    int[] walk = new int[blockRows];
    double[] totals = new double[blockRows];
    for (int start = 0; start < rows.length; start += blockRows) {
      int count = Math.min(blockRows, rows.length - start);
      for (int i = 0; i < count; i++) {
        checkRow(rows[start + i]);
        System.arraycopy(rows[start + i], 0, block, i * numFeatures, numFeatures);
      }
      scoreBlock(block, count, scores, walk, totals);
      System.arraycopy(scores, 0, out, start, count);
    }
  }

  /**
   * Scores {@code count} rows laid out one after another in {@code block} into {@code out}, one tree
   * at a time over all rows, so the tree stays in the L1 cache while the rows' walks overlap.
   * {@code walk} and {@code totals} are scratch of at least {@code count} slots.
   */
  void scoreBlock(double[] block, int count, double[] out, int[] walk, double[] totals) {
    Arrays.fill(totals, 0, count, 0.0);
    for (int t = 0; t < roots.length; t++) {
      Arrays.fill(walk, 0, count, roots[t]);
      for (int step = heights[t]; step > 0; step--) {
        for (int i = 0; i < count; i++) {
          walk[i] = next(walk[i], block, i * numFeatures);
        }
      }
      for (int i = 0; i < count; i++) {
        totals[i] += leafPathLength[walk[i]];
      }
    }
    for (int i = 0; i < count; i++) {
      out[i] = toScore(totals[i]);
    }
  }

  /** A partition's block scorer over broadcast arrays, with its own scratch space. */
  static ForestPartitionScorer.BlockScorer blockScorer(ExtendedForestArrays arrays) {
    FlatExtendedForest forest = new FlatExtendedForest(arrays);
    int[] walk = new int[ForestPartitionScorer.BLOCK_ROWS];
    double[] totals = new double[ForestPartitionScorer.BLOCK_ROWS];
    return new ForestPartitionScorer.BlockScorer() {
      @Override
      public int numFeatures() {
        return forest.numFeatures;
      }

      @Override
      public void scoreBlock(double[] block, int count, double[] out) {
        forest.scoreBlock(block, count, out, walk, totals);
      }
    };
  }

  private int next(int node, double[] x, int from) {
    int plane = node * stride;
    double sum = 0.0;
    for (int f = 0; f < numFeatures; f++) {
      sum += x[from + f] * planes[plane + f];
    }
    return children[node] + (sum > planes[plane + numFeatures] ? 1 : 0);
  }

  private double toScore(double totalPathLength) {
    return Math.pow(2.0, -totalPathLength / normalizer);
  }

  private void checkRow(double[] features) {
    if (features.length != numFeatures) {
      throw new IllegalArgumentException("expected " + numFeatures + " features, got " + features.length);
    }
    for (double value : features) {
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException("features must be finite numbers, got " + value);
      }
    }
  }
}
