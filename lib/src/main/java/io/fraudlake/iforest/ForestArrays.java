package io.fraudlake.iforest;

import java.io.Serializable;

/**
 * The primitive arrays behind a {@link FlatForest}. This, not the scorer, is what Spark broadcasts to
 * the executors; each executor wraps it in a {@code FlatForest} without copying.
 */
final class ForestArrays implements Serializable {
  private static final long serialVersionUID = 1L;

  final int numFeatures;
  final int sampleSize;
  final int[] roots;
  final int[] heights;
  /**
   * Two longs per node, so one cache line holds a node and its sibling: the split's bits, then
   * {@code child << 32 | feature}.
   */
  final long[] nodes;
  final double[] leafPathLength;

  private ForestArrays(int numFeatures, int sampleSize, int[] roots, int[] heights, long[] nodes,
      double[] leafPathLength) {
    this.numFeatures = numFeatures;
    this.sampleSize = sampleSize;
    this.roots = roots;
    this.heights = heights;
    this.nodes = nodes;
    this.leafPathLength = leafPathLength;
  }

  static long split(double split) {
    return Double.doubleToRawLongBits(split);
  }

  static long childAndFeature(int child, int feature) {
    return ((long) child << 32) | feature;
  }

  static ForestArrays flatten(IsolationTree[] trees, int sampleSize, int numFeatures) {
    if (trees.length == 0) {
      throw new IllegalArgumentException("a forest needs at least one tree");
    }
    int totalNodes = 0;
    for (IsolationTree tree : trees) {
      totalNodes += tree.nodeCount();
    }
    int[] roots = new int[trees.length];
    int[] heights = new int[trees.length];
    long[] nodes = new long[2 * totalNodes];
    double[] leafPathLength = new double[totalNodes];
    int offset = 0;
    for (int t = 0; t < trees.length; t++) {
      IsolationTree tree = trees[t];
      roots[t] = offset;
      heights[t] = tree.height();
      copyTree(tree, 0, 0, offset, nodes, leafPathLength);
      offset += tree.nodeCount();
    }
    return new ForestArrays(numFeatures, sampleSize, roots, heights, nodes, leafPathLength);
  }

  private static void copyTree(IsolationTree tree, int node, int depth, int offset, long[] nodes,
      double[] leafPathLength) {
    int at = offset + node;
    if (tree.isLeaf(node)) {
      // Any feature index works: an infinite split keeps every walk on this node.
      nodes[2 * at] = split(Double.POSITIVE_INFINITY);
      nodes[2 * at + 1] = childAndFeature(at, 0);
      leafPathLength[at] = depth + PathLength.average(tree.size[node]);
      return;
    }
    nodes[2 * at] = split(tree.split[node]);
    nodes[2 * at + 1] = childAndFeature(offset + tree.left[node], tree.feature[node]);
    copyTree(tree, tree.left[node], depth + 1, offset, nodes, leafPathLength);
    copyTree(tree, tree.left[node] + 1, depth + 1, offset, nodes, leafPathLength);
  }
}
