package io.fraudlake.iforest.extended;

import io.fraudlake.iforest.PathLength;
import java.io.Serializable;

/**
 * The primitive arrays behind a {@link FlatExtendedForest}: what Spark broadcasts, wrapped on each
 * executor without copying.
 */
final class ExtendedForestArrays implements Serializable {
  private static final long serialVersionUID = 1L;

  final int numFeatures;
  final int sampleSize;
  final int[] roots;
  final int[] heights;
  /**
   * {@code numFeatures + 1} doubles per node, so a node's plane is one contiguous run: the normal,
   * then the offset. A leaf has a zero normal and an infinite offset, so its walk stays put.
   */
  final double[] planes;
  /** Left child (the right is the next node); a leaf points at itself. */
  final int[] children;
  final double[] leafPathLength;

  private ExtendedForestArrays(int numFeatures, int sampleSize, int[] roots, int[] heights, double[] planes,
      int[] children, double[] leafPathLength) {
    this.numFeatures = numFeatures;
    this.sampleSize = sampleSize;
    this.roots = roots;
    this.heights = heights;
    this.planes = planes;
    this.children = children;
    this.leafPathLength = leafPathLength;
  }

  static ExtendedForestArrays flatten(ExtendedIsolationTree[] trees, int sampleSize, int numFeatures) {
    if (trees.length == 0) {
      throw new IllegalArgumentException("a forest needs at least one tree");
    }
    int totalNodes = 0;
    for (ExtendedIsolationTree tree : trees) {
      totalNodes += tree.nodeCount();
    }
    int stride = numFeatures + 1;
    int[] roots = new int[trees.length];
    int[] heights = new int[trees.length];
    double[] planes = new double[totalNodes * stride];
    int[] children = new int[totalNodes];
    double[] leafPathLength = new double[totalNodes];
    int base = 0;
    for (int t = 0; t < trees.length; t++) {
      ExtendedIsolationTree tree = trees[t];
      if (tree.numFeatures != numFeatures) {
        throw new IllegalArgumentException("tree " + t + " has " + tree.numFeatures + " features, not " + numFeatures);
      }
      roots[t] = base;
      heights[t] = tree.height();
      int[] depth = new int[tree.nodeCount()];
      // Children always come after their parent, so one forward pass knows every node's depth.
      for (int n = 0; n < tree.nodeCount(); n++) {
        int at = base + n;
        if (tree.isLeaf(n)) {
          planes[at * stride + numFeatures] = Double.POSITIVE_INFINITY;
          children[at] = at;
          leafPathLength[at] = depth[n] + PathLength.average(tree.size[n]);
          continue;
        }
        System.arraycopy(tree.normals, n * numFeatures, planes, at * stride, numFeatures);
        planes[at * stride + numFeatures] = tree.offset[n];
        children[at] = base + tree.left[n];
        depth[tree.left[n]] = depth[n] + 1;
        depth[tree.left[n] + 1] = depth[n] + 1;
      }
      base += tree.nodeCount();
    }
    return new ExtendedForestArrays(numFeatures, sampleSize, roots, heights, planes, children, leafPathLength);
  }
}
