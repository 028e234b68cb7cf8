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
public final class FlatForest implements ForestScoreFunction.RowScorer {
  /** Rows per block of the bulk scorer: 64 rows of a few features fit in L1 beside one tree. */
  static final int BLOCK_ROWS = 64;

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

  @Override
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
  @Override
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
   * tree (see {@link #scoreBlock}).
   */
  public void score(double[][] rows, double[] out) {
    if (out.length < rows.length) {
      throw new IllegalArgumentException("out has " + out.length + " slots for " + rows.length + " rows");
    }
    int width = arrays.numFeatures;
    double[] block = new double[BLOCK_ROWS * width];
    double[] scores = new double[BLOCK_ROWS];
    BlockWalk walk = new BlockWalk();
    for (int start = 0; start < rows.length; start += BLOCK_ROWS) {
      int count = Math.min(BLOCK_ROWS, rows.length - start);
      for (int i = 0; i < count; i++) {
        checkWidth(rows[start + i]);
        System.arraycopy(rows[start + i], 0, block, i * width, width);
      }
      scoreBlock(block, count, scores, walk);
      System.arraycopy(scores, 0, out, start, count);
    }
  }

  /**
   * Scores {@code count} rows laid out one after another in {@code block} (row {@code i}'s feature
   * {@code f} at {@code i * numFeatures() + f}) into {@code out[0..count)}. The caller has checked
   * that every value is finite. One tree at a time walks every row of the block, so the tree stays
   * in the L1 cache and the block's independent walks overlap in the CPU; walking row by row instead
   * drags the whole forest (megabytes) through the caches for every row.
   */
  void scoreBlock(double[] block, int count, double[] out, BlockWalk scratch) {
    if (count > BLOCK_ROWS) {
      throw new IllegalArgumentException("a block holds at most " + BLOCK_ROWS + " rows, got " + count);
    }
    int width = arrays.numFeatures;
    int[] walk = scratch.nodes;
    double[] totals = scratch.totals;
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
      out[i] = toScore(totals[i]);
    }
  }

  /** A partition's block scorer over broadcast arrays, with its own scratch space. */
  static ForestPartitionScorer.BlockScorer blockScorer(ForestArrays arrays) {
    FlatForest forest = new FlatForest(arrays);
    BlockWalk walk = new BlockWalk();
    return new ForestPartitionScorer.BlockScorer() {
      @Override
      public int numFeatures() {
        return forest.numFeatures();
      }

      @Override
      public void scoreBlock(double[] block, int count, double[] out) {
        forest.scoreBlock(block, count, out, walk);
      }
    };
  }

  /** Per-thread scratch space of {@link #scoreBlock}, reused from block to block. */
  static final class BlockWalk {
    final int[] nodes = new int[BLOCK_ROWS];
    final double[] totals = new double[BLOCK_ROWS];
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
