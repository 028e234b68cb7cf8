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
  final int[] feature;
  final double[] split;
  final int[] child;
  final double[] leafPathLength;

  private ForestArrays(int numFeatures, int sampleSize, int[] roots, int[] heights, int[] feature,
      double[] split, int[] child, double[] leafPathLength) {
    this.numFeatures = numFeatures;
    this.sampleSize = sampleSize;
    this.roots = roots;
    this.heights = heights;
    this.feature = feature;
    this.split = split;
    this.child = child;
    this.leafPathLength = leafPathLength;
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
    int[] feature = new int[totalNodes];
    double[] split = new double[totalNodes];
    int[] child = new int[totalNodes];
    double[] leafPathLength = new double[totalNodes];
    int offset = 0;
    for (int t = 0; t < trees.length; t++) {
      IsolationTree tree = trees[t];
      roots[t] = offset;
      heights[t] = tree.height();
      copyTree(tree, 0, 0, offset, feature, split, child, leafPathLength);
      offset += tree.nodeCount();
    }
    return new ForestArrays(numFeatures, sampleSize, roots, heights, feature, split, child, leafPathLength);
  }

  private static void copyTree(IsolationTree tree, int node, int depth, int offset, int[] feature,
      double[] split, int[] child, double[] leafPathLength) {
    int at = offset + node;
    if (tree.isLeaf(node)) {
      // Any feature index works: an infinite split keeps every walk on this node.
      feature[at] = 0;
      split[at] = Double.POSITIVE_INFINITY;
      child[at] = at;
      leafPathLength[at] = depth + PathLength.average(tree.size[node]);
      return;
    }
    feature[at] = tree.feature[node];
    split[at] = tree.split[node];
    child[at] = offset + tree.left[node];
    copyTree(tree, tree.left[node], depth + 1, offset, feature, split, child, leafPathLength);
    copyTree(tree, tree.left[node] + 1, depth + 1, offset, feature, split, child, leafPathLength);
  }
}
