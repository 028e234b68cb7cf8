package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IsolationTreeTest {
  /**
   * Root splits feature 0 at 5: left is a leaf of 3 points; right splits feature 1 at 2 into a leaf
   * of 1 point and a leaf of 4 points (grown from ψ = 8).
   */
  private static IsolationTree handBuilt() {
    return new IsolationTree(
        new int[] {0, -1, 1, -1, -1},
        new double[] {5.0, 0, 2.0, 0, 0},
        new int[] {1, -1, 3, -1, -1},
        new int[] {8, 3, 5, 1, 4});
  }

  @Test
  void pathLengthIsDepthPlusAveragePathOfTheLeaf() {
    IsolationTree tree = handBuilt();
    assertEquals(1 + PathLength.average(3), tree.pathLength(new double[] {4.0, 100.0}), 0.0);
    assertEquals(1 + PathLength.average(3), tree.pathLength(new double[] {5.0, 100.0}), 0.0);
    assertEquals(2.0, tree.pathLength(new double[] {6.0, 1.0}), 0.0);
    assertEquals(2 + PathLength.average(4), tree.pathLength(new double[] {6.0, 3.0}), 0.0);
    assertEquals(2, tree.height());
  }

  @Test
  void scoreIsTwoToTheMinusMeanPathOverAveragePathOfPsi() {
    IsolationTree first = handBuilt();
    IsolationTree stump = new IsolationTree(
        new int[] {1, -1, -1}, new double[] {0.5, 0, 0}, new int[] {1, -1, -1}, new int[] {8, 2, 6});
    FlatForest forest = FlatForest.of(new IsolationTree[] {first, stump}, 8, 2);
    double[] x = {6.0, 3.0};
    // Tree 1: depth 2 + c(4); tree 2: x[1] = 3 > 0.5 goes right, depth 1 + c(6). scikit-learn's formula:
    double meanPath = ((2 + PathLength.average(4)) + (1 + PathLength.average(6))) / 2;
    assertEquals(Math.pow(2, -meanPath / PathLength.average(8)), forest.score(x), 1e-15);
    double[] out = new double[1];
    forest.score(new double[][] {x}, out);
    assertEquals(forest.score(x), out[0], 0.0);
  }

  @Test
  void grownTreesRespectTheHeightLimitAndHoldEveryPoint() {
    SplittableRandom data = new SplittableRandom(7);
    double[][] rows = new double[256][3];
    for (double[] row : rows) {
      row[0] = data.nextGaussian();
      row[1] = data.nextInt(3);
      row[2] = data.nextDouble();
    }
    for (int seed = 0; seed < 20; seed++) {
      IsolationTree tree = IsolationTreeBuilder.grow(rows, new int[] {0, 1, 2}, 8, new SplittableRandom(seed));
      assertTrue(tree.height() <= 8, "height " + tree.height());
      int leafTotal = 0;
      for (int n = 0; n < tree.nodeCount(); n++) {
        if (tree.isLeaf(n)) {
          leafTotal += tree.size[n];
        }
      }
      assertEquals(256, leafTotal);
    }
  }

  @Test
  void constantFeaturesAreNeverSplitOnAndAllConstantNodesBecomeLeaves() {
    double[][] rows = new double[50][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new double[] {7.0, i % 2, 3.0};
    }
    IsolationTree tree = IsolationTreeBuilder.grow(rows, new int[] {0, 1, 2}, 6, new SplittableRandom(1));
    assertEquals(1, tree.feature[0]);
    assertEquals(3, tree.nodeCount());
    assertArrayEquals(new int[] {50, 25, 25}, tree.size);

    double[][] identical = {{1, 1}, {1, 1}, {1, 1}};
    IsolationTree leaf = IsolationTreeBuilder.grow(identical, new int[] {0, 1}, 2, new SplittableRandom(1));
    assertEquals(1, leaf.nodeCount());
    assertEquals(PathLength.average(3), leaf.pathLength(new double[] {1, 1}), 0.0);
  }

  @Test
  void flatForestMatchesTheTreesItWasBuiltFrom() {
    SplittableRandom data = new SplittableRandom(3);
    double[][] rows = new double[128][4];
    for (double[] row : rows) {
      for (int f = 0; f < 4; f++) {
        row[f] = data.nextGaussian();
      }
    }
    IsolationTree[] trees = new IsolationTree[25];
    for (int t = 0; t < trees.length; t++) {
      trees[t] = IsolationTreeBuilder.grow(rows, new int[] {0, 1, 2, 3}, 7, new SplittableRandom(t));
    }
    FlatForest forest = FlatForest.of(trees, 128, 4);
    double[][] probes = new double[200][4];
    for (double[] probe : probes) {
      for (int f = 0; f < 4; f++) {
        probe[f] = data.nextGaussian() * 2;
      }
    }
    double[] bulk = new double[probes.length];
    forest.score(probes, bulk);
    for (int i = 0; i < probes.length; i++) {
      double total = 0;
      for (IsolationTree tree : trees) {
        total += tree.pathLength(probes[i]);
      }
      double expected = Math.pow(2, -total / (trees.length * PathLength.average(128)));
      assertEquals(expected, forest.score(probes[i]), 0.0);
      assertEquals(expected, bulk[i], 0.0);
    }
  }

  @Test
  void featureSubsetsAreDistinctSortedAndReproducible() {
    int[] subset = ForestTrainer.featureSubset(42, 3, 10, 4);
    assertEquals(4, subset.length);
    for (int i = 1; i < subset.length; i++) {
      assertTrue(subset[i] > subset[i - 1]);
    }
    assertArrayEquals(subset, ForestTrainer.featureSubset(42, 3, 10, 4));
    assertArrayEquals(new int[] {0, 1, 2}, ForestTrainer.featureSubset(42, 3, 3, 3));
  }
}
