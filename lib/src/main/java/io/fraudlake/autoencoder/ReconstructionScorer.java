package io.fraudlake.autoencoder;

import java.io.Serializable;

/**
 * A fitted autoencoder's scoring arithmetic, shared by {@code transform} and {@code serve}. A row's
 * reconstruction error e is the mean squared error over its features; its score is
 *
 * <pre>s = e / (e + m)</pre>
 *
 * with m the median training error: 0.5 for a typical training row, towards 1 for rows the network
 * cannot reconstruct. The map is increasing in e, so it keeps the ranking; it is floored at
 * {@link Double#MIN_VALUE} so that even an exact reconstruction scores above 0, and it never exceeds 1.
 *
 * <p>Thread-safe: each thread gets its own layer buffers, so scoring allocates nothing after a
 * thread's first row.
 */
final class ReconstructionScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Network network;
  private final double medianError;
  private transient volatile ThreadLocal<double[][]> buffers;

  ReconstructionScorer(Network network, double medianError) {
    if (!(medianError > 0 && Double.isFinite(medianError))) {
      throw new IllegalArgumentException("median training error must be positive and finite, got " + medianError);
    }
    this.network = network;
    this.medianError = medianError;
  }

  Network network() {
    return network;
  }

  double medianError() {
    return medianError;
  }

  int numFeatures() {
    return network.inputs();
  }

  /** Mean squared reconstruction error of {@code row}, which must have {@link #numFeatures()} values. */
  double reconstructionError(double[] row) {
    if (row.length != network.inputs()) {
      throw new IllegalArgumentException("the autoencoder reads " + network.inputs() + " features, got a row of "
          + row.length);
    }
    return network.squaredError(row, 0, layerBuffers()) / network.inputs();
  }

  double score(double[] row) {
    return scoreOfError(reconstructionError(row));
  }

  double scoreOfError(double error) {
    return Math.max(error / (error + medianError), Double.MIN_VALUE);
  }

  private double[][] layerBuffers() {
    ThreadLocal<double[][]> local = buffers;
    if (local == null) {
      synchronized (this) {
        if (buffers == null) {
          buffers = ThreadLocal.withInitial(network::newLayerBuffers);
        }
        local = buffers;
      }
    }
    return local.get();
  }
}
