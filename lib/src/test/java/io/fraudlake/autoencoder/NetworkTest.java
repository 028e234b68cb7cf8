package io.fraudlake.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class NetworkTest {
  private static final int[] SIZES = Network.symmetricSizes(5, new int[] {4, 2});

  @Test
  void mirrorsTheHiddenLayers() {
    assertArrayEquals(new int[] {8, 6, 3, 6, 8}, Network.symmetricSizes(8, new int[] {6, 3}));
    assertEquals((8 + 1) * 6 + (6 + 1) * 3 + (3 + 1) * 6 + (6 + 1) * 8, Network.parameterCount(
        Network.symmetricSizes(8, new int[] {6, 3})));
    assertThrows(IllegalArgumentException.class, () -> new Network(new int[] {8}, new double[0]));
    assertThrows(IllegalArgumentException.class, () -> new Network(new int[] {2, 2}, new double[5]));
  }

  /** Backpropagation against central finite differences of the squared error, parameter by parameter. */
  @Test
  void gradientMatchesFiniteDifferences() {
    Network network = Network.initial(SIZES, new SplittableRandom(1));
    double[] rows = new SplittableRandom(2).doubles(3 * 5, -2, 2).toArray();
    double[] gradient = new double[network.parameterCount()];
    double[][] activations = network.newLayerBuffers();
    double[][] deltas = network.newLayerBuffers();
    for (int r = 0; r < 3; r++) {
      network.accumulateGradient(rows, r * 5, activations, deltas, gradient);
    }
    double[] parameters = network.parameters();
    double h = 1e-6;
    for (int p = 0; p < parameters.length; p++) {
      double[] plus = parameters.clone();
      double[] minus = parameters.clone();
      plus[p] += h;
      minus[p] -= h;
      double numeric = (totalError(network.withParameters(plus), rows) - totalError(network.withParameters(minus), rows))
          / (2 * h);
      assertEquals(numeric, gradient[p], 1e-6 * Math.max(1, Math.abs(numeric)), "parameter " + p);
    }
  }

  private static double totalError(Network network, double[] rows) {
    double[][] activations = network.newLayerBuffers();
    double sum = 0;
    for (int r = 0; r < rows.length / 5; r++) {
      sum += network.squaredError(rows, r * 5, activations);
    }
    return sum;
  }

  @Test
  void scoresAreInTheUnitIntervalAndKeepTheErrorsOrder() {
    ReconstructionScorer scorer = new ReconstructionScorer(Network.initial(SIZES, new SplittableRandom(3)), 0.25);
    assertEquals(0.5, scorer.scoreOfError(0.25), 0.0);
    assertEquals(Double.MIN_VALUE, scorer.scoreOfError(0.0), 0.0);
    assertTrue(scorer.scoreOfError(1e300) <= 1.0);
    double previous = 0;
    for (double error = 1e-12; error < 1e12; error *= 3) {
      double score = scorer.scoreOfError(error);
      assertTrue(score > previous && score <= 1.0, "score " + score + " of error " + error);
      previous = score;
    }
    assertThrows(IllegalArgumentException.class, () -> scorer.score(new double[4]));
    assertThrows(IllegalArgumentException.class, () -> new ReconstructionScorer(scorer.network(), 0.0));
  }

  @Test
  void scoringIsThreadSafe() throws Exception {
    ReconstructionScorer scorer = new ReconstructionScorer(Network.initial(SIZES, new SplittableRandom(4)), 0.1);
    double[][] rows = new double[2000][];
    double[] expected = new double[rows.length];
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < rows.length; i++) {
      rows[i] = random.doubles(5, -3, 3).toArray();
      expected[i] = scorer.score(rows[i]);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          double[] scores = new double[rows.length];
          for (int i = 0; i < rows.length; i++) {
            scores[i] = scorer.score(rows[i]);
          }
          return scores;
        }));
      }
      for (Future<double[]> result : results) {
        assertArrayEquals(expected, result.get(), 0.0);
      }
    } finally {
      pool.shutdown();
    }
  }
}
