package io.fraudlake.iforest;

import java.io.Serializable;

/**
 * One isolation tree as grown: node 0 is the root, an internal node sends {@code x[feature] <= split}
 * to {@code left} and the rest to {@code left + 1}, a leaf has {@code feature == -1} and remembers how
 * many training points reached it. This is the form that is saved and loaded; scoring uses the
 * {@link FlatForest} built from it.
 *
 * <p>Serializable only because Spark returns trees from the executors that grow them; models are
 * saved as Parquet (see {@link IsolationForestModel}), never with Java serialization.
 */
final class IsolationTree implements Serializable {
  private static final long serialVersionUID = 1L;
  static final int LEAF = -1;

  final int[] feature;
  final double[] split;
  final int[] left;
  final int[] size;

  IsolationTree(int[] feature, double[] split, int[] left, int[] size) {
    int nodes = feature.length;
    if (nodes == 0 || split.length != nodes || left.length != nodes || size.length != nodes) {
      throw new IllegalArgumentException("tree arrays must be non-empty and of equal length");
    }
    for (int node = 0; node < nodes; node++) {
      if (feature[node] != LEAF && (left[node] <= node || left[node] + 1 >= nodes)) {
        throw new IllegalArgumentException("node " + node + " has children outside the tree: " + left[node]);
      }
    }
    this.feature = feature;
    this.split = split;
    this.left = left;
    this.size = size;
  }

  int nodeCount() {
    return feature.length;
  }

  boolean isLeaf(int node) {
    return feature[node] == LEAF;
  }

  /** The longest root-to-leaf path, in edges. */
  int height() {
    return height(0);
  }

  private int height(int node) {
    return isLeaf(node) ? 0 : 1 + Math.max(height(left[node]), height(left[node] + 1));
  }

  int depthOfLeafReachedBy(double[] x) {
    int node = 0;
    int depth = 0;
    while (!isLeaf(node)) {
      node = x[feature[node]] <= split[node] ? left[node] : left[node] + 1;
      depth++;
    }
    return depth;
  }

  /** h(x): edges to the leaf plus c(size) for the points the leaf still holds. */
  double pathLength(double[] x) {
    int node = 0;
    int depth = 0;
    while (!isLeaf(node)) {
      node = x[feature[node]] <= split[node] ? left[node] : left[node] + 1;
      depth++;
    }
    return depth + PathLength.average(size[node]);
  }
}
