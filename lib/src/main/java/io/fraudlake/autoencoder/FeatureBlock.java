package io.fraudlake.autoencoder;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/**
 * One partition's training vectors as one flat row-major array: cached once, read by every step
 * without building a Vector per row. Rows that cannot be trained on (null, NaN or infinite, or
 * another width than the partition's first row) are counted, not kept, so the driver can reject
 * the input with one message.
 */
final class FeatureBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  final int partition;
  final int width;
  final int rows;
  final double[] values;
  final long nullRows;
  final long nonFiniteRows;
  final long otherWidthRows;

  private FeatureBlock(int partition, int width, int rows, double[] values, long nullRows, long nonFiniteRows,
      long otherWidthRows) {
    this.partition = partition;
    this.width = width;
    this.rows = rows;
    this.values = values;
    this.nullRows = nullRows;
    this.nonFiniteRows = nonFiniteRows;
    this.otherWidthRows = otherWidthRows;
  }

  /** Reads a partition's vectors and shuffles the kept rows with a stream seeded by (seed, partition). */
  static Iterator<FeatureBlock> of(int partition, Iterator<Row> input, long seed) {
    int width = -1;
    double[] values = new double[1024];
    int rows = 0;
    long nullRows = 0;
    long nonFiniteRows = 0;
    long otherWidthRows = 0;
    while (input.hasNext()) {
      Row row = input.next();
      if (row.isNullAt(0)) {
        nullRows++;
        continue;
      }
      Vector vector = row.getAs(0);
      if (width < 0) {
        width = vector.size();
      }
      if (vector.size() != width) {
        otherWidthRows++;
        continue;
      }
      if ((long) (rows + 1) * width > values.length) {
        values = Arrays.copyOf(values, (int) Math.min(Integer.MAX_VALUE - 8, 2L * values.length + width));
      }
      int start = rows * width;
      boolean finite = true;
      for (int j = 0; j < width; j++) {
        double value = vector.apply(j);
        finite &= Double.isFinite(value);
        values[start + j] = value;
      }
      if (finite) {
        rows++;
      } else {
        nonFiniteRows++;
      }
    }
    double[] kept = Arrays.copyOf(values, rows * Math.max(width, 0));
    if (rows > 1) {
      shuffleRows(kept, rows, width, Seeds.random(seed, Seeds.ROW_ORDER_STREAM, 0, partition));
    }
    return List.of(new FeatureBlock(partition, width, rows, kept, nullRows, nonFiniteRows, otherWidthRows)).iterator();
  }

  /**
   * This partition's share of one mini-batch. The rows were shuffled once when the block was built;
   * each epoch rotates them by a seeded offset, cuts them into {@code steps} consecutive slices and
   * visits the slices in a seeded order. So an epoch reads every row once, every batch draws from
   * every partition in proportion to its size, and a step costs O(steps), not O(rows), to locate.
   */
  BatchGradient gradient(Network network, long seed, int epoch, int step, int steps) {
    double[] gradient = new double[network.parameterCount()];
    SplittableRandom epochRandom = Seeds.random(seed, Seeds.BATCH_STREAM, epoch, partition);
    int slice = sliceOrder(epochRandom, steps)[step];
    int from = (int) ((long) slice * rows / steps);
    int to = (int) ((long) (slice + 1) * rows / steps);
    if (from == to) {
      return new BatchGradient(partition, 0, 0, gradient);
    }
    int rotation = epochRandom.nextInt(rows);
    double[][] activations = network.newLayerBuffers();
    double[][] deltas = network.newLayerBuffers();
    double squaredError = 0;
    for (int k = from; k < to; k++) {
      int row = (k + rotation) % rows;
      squaredError += network.accumulateGradient(values, row * width, activations, deltas, gradient);
    }
    return new BatchGradient(partition, to - from, squaredError, gradient);
  }

  /**
   * Mean squared reconstruction errors of this partition's rows, or of a seeded Bernoulli sample
   * of them when {@code fraction < 1}.
   */
  double[] errors(Network network, double fraction, long seed) {
    double[][] activations = network.newLayerBuffers();
    SplittableRandom random = Seeds.random(seed, Seeds.ERROR_SAMPLE_STREAM, 0, partition);
    double[] errors = new double[rows];
    int kept = 0;
    for (int r = 0; r < rows; r++) {
      if (fraction >= 1 || random.nextDouble() < fraction) {
        errors[kept++] = network.squaredError(values, r * width, activations) / width;
      }
    }
    return Arrays.copyOf(errors, kept);
  }

  private static int[] sliceOrder(SplittableRandom random, int steps) {
    int[] order = new int[steps];
    for (int i = 0; i < steps; i++) {
      order[i] = i;
    }
    for (int i = steps - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /** Fisher-Yates over whole rows, so that consecutive slices are random subsets of the partition. */
  private static void shuffleRows(double[] values, int rows, int width, SplittableRandom random) {
    double[] swap = new double[width];
    for (int i = rows - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      System.arraycopy(values, i * width, swap, 0, width);
      System.arraycopy(values, j * width, values, i * width, width);
      System.arraycopy(swap, 0, values, j * width, width);
    }
  }

  /** A partition's summed gradient and squared error over its rows of one batch. */
  record BatchGradient(int partition, int rows, double squaredError, double[] gradient) implements Serializable {}
}
