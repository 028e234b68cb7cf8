package io.fraudlake.iforest.extended;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Grows one extended isolation tree (Hariri, Carrasco Kind and Brunner, 2018, algorithm 2): at each
 * node a normal vector of standard normal coordinates with d − 1 − extensionLevel of them set to
 * zero, and an intercept point drawn uniformly within the bounding box of the node's rows. A node
 * becomes a leaf at the height limit, with one row or none, or when all its rows are the same point
 * (no hyperplane can separate them; the paper's code would keep splitting them to the height limit).
 */
final class ExtendedTreeBuilder {
  private final double[][] rows;
  private final int numFeatures;
  private final int zeroedCoordinates;
  private final int heightLimit;
  private final SplittableRandom random;
  private final int[] order;
  private final double[] min;
  private final double[] max;
  private final double[] normal;
  private final int[] coordinates;
  private int[] left;
  private int[] size;
  private double[] offset;
  private double[] normals;
  private int nodesUsed;

  private ExtendedTreeBuilder(double[][] rows, int numFeatures, int extensionLevel, int heightLimit,
      SplittableRandom random) {
    this.rows = rows;
    this.numFeatures = numFeatures;
    this.zeroedCoordinates = numFeatures - 1 - extensionLevel;
    this.heightLimit = heightLimit;
    this.random = random;
    this.order = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      order[i] = i;
    }
    this.min = new double[numFeatures];
    this.max = new double[numFeatures];
    this.normal = new double[numFeatures];
    this.coordinates = new int[numFeatures];
    // Empty children can add nodes beyond the 2ψ − 1 of a tree that always separates; arrays grow then.
    int capacity = Math.max(1, 2 * rows.length - 1);
    this.left = new int[capacity];
    this.size = new int[capacity];
    this.offset = new double[capacity];
    this.normals = new double[capacity * numFeatures];
  }

  static ExtendedIsolationTree grow(double[][] rows, int numFeatures, int extensionLevel, int heightLimit,
      SplittableRandom random) {
    if (rows.length == 0) {
      throw new IllegalArgumentException("an isolation tree needs at least one row");
    }
    if (extensionLevel < 0 || extensionLevel >= numFeatures) {
      throw new IllegalArgumentException("extensionLevel must be in 0.." + (numFeatures - 1) + ", got " + extensionLevel);
    }
    ExtendedTreeBuilder builder = new ExtendedTreeBuilder(rows, numFeatures, extensionLevel, heightLimit, random);
    builder.nodesUsed = 1;
    builder.grow(0, 0, rows.length, 0);
    int n = builder.nodesUsed;
    return new ExtendedIsolationTree(numFeatures, Arrays.copyOf(builder.left, n), Arrays.copyOf(builder.size, n),
        Arrays.copyOf(builder.offset, n), Arrays.copyOf(builder.normals, n * numFeatures));
  }

  private void grow(int node, int from, int to, int depth) {
    size[node] = to - from;
    left[node] = ExtendedIsolationTree.LEAF;
    offset[node] = 0.0;
    if (depth >= heightLimit || to - from <= 1 || !boundingBox(from, to)) {
      return;
    }
    drawNormal();
    double planeOffset = 0.0;
    for (int f = 0; f < numFeatures; f++) {
      double intercept = min[f] + random.nextDouble() * (max[f] - min[f]);
      planeOffset += normal[f] * intercept;
    }
    int boundary = from;
    for (int i = from; i < to; i++) {
      if (FlatExtendedForest.dot(rows[order[i]], 0, normal, 0, numFeatures) <= planeOffset) {
        int swap = order[boundary];
        order[boundary] = order[i];
        order[i] = swap;
        boundary++;
      }
    }
    int child = nodesUsed;
    ensureCapacity(child + 2);
    nodesUsed += 2;
    left[node] = child;
    offset[node] = planeOffset;
    System.arraycopy(normal, 0, normals, node * numFeatures, numFeatures);
    grow(child, from, boundary, depth + 1);
    grow(child + 1, boundary, to, depth + 1);
  }

  /** Fills min and max over the node's rows; false when they are all one point. */
  private boolean boundingBox(int from, int to) {
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (int i = from; i < to; i++) {
      double[] row = rows[order[i]];
      for (int f = 0; f < numFeatures; f++) {
        double v = row[f];
        if (v < min[f]) {
          min[f] = v;
        }
        if (v > max[f]) {
          max[f] = v;
        }
      }
    }
    for (int f = 0; f < numFeatures; f++) {
      if (max[f] > min[f]) {
        return true;
      }
    }
    return false;
  }

  private void drawNormal() {
    for (int f = 0; f < numFeatures; f++) {
      normal[f] = random.nextGaussian();
      coordinates[f] = f;
    }
    // A partial Fisher–Yates shuffle picks which coordinates the extension level leaves out.
    for (int i = 0; i < zeroedCoordinates; i++) {
      int pick = i + random.nextInt(numFeatures - i);
      int swap = coordinates[i];
      coordinates[i] = coordinates[pick];
      coordinates[pick] = swap;
      normal[coordinates[i]] = 0.0;
    }
  }

  private void ensureCapacity(int nodes) {
    if (nodes <= left.length) {
      return;
    }
    int capacity = Math.max(nodes, 2 * left.length);
    left = Arrays.copyOf(left, capacity);
    size = Arrays.copyOf(size, capacity);
    offset = Arrays.copyOf(offset, capacity);
    normals = Arrays.copyOf(normals, capacity * numFeatures);
  }
}
