package io.fraudlake.iforest.extended;

import java.io.Serializable;

/**
 * One extended isolation tree as parallel arrays, node 0 the root. An internal node splits on the
 * hyperplane through its intercept point p with normal n: a row x goes left when (x − p)·n &lt;= 0,
 * kept as x·n &lt;= offset with offset = p·n, the form scoring evaluates. The children of node
 * {@code i} are {@code left[i]} and {@code left[i] + 1}; a leaf has {@code left[i] == LEAF}.
 *
 * <p>Unlike an axis-aligned tree, a hyperplane through the bounding box may leave every row on one
 * side, so a child can be an empty leaf (size 0), as in the paper's algorithm.
 */
public final class ExtendedIsolationTree implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final int LEAF = -1;

  final int numFeatures;
  final int[] left;
  /** Training rows that reached the node: a leaf's c(size) stands for the subtree it did not grow. */
  final int[] size;
  final double[] offset;
  /** Node {@code i}'s normal at {@code [i * numFeatures, (i + 1) * numFeatures)}; zeros for a leaf. */
  final double[] normals;

  ExtendedIsolationTree(int numFeatures, int[] left, int[] size, double[] offset, double[] normals) {
    if (left.length != size.length || left.length != offset.length || normals.length != left.length * numFeatures) {
      throw new IllegalArgumentException("node arrays of different lengths");
    }
    this.numFeatures = numFeatures;
    this.left = left;
    this.size = size;
    this.offset = offset;
    this.normals = normals;
  }

  public int nodeCount() {
    return left.length;
  }

  public boolean isLeaf(int node) {
    return left[node] == LEAF;
  }

  public int size(int node) {
    return size[node];
  }

  public double offset(int node) {
    return offset[node];
  }

  /** Coordinate {@code feature} of node {@code node}'s normal (0 for a leaf). */
  public double normal(int node, int feature) {
    return normals[node * numFeatures + feature];
  }

  /** Edges on the longest root-to-leaf path. */
  public int height() {
    return height(0);
  }

  private int height(int node) {
    return isLeaf(node) ? 0 : 1 + Math.max(height(left[node]), height(left[node] + 1));
  }
}
