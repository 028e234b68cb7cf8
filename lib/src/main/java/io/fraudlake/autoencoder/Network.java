package io.fraudlake.autoencoder;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A fully connected network with tanh hidden layers and a linear output layer, its parameters in
 * one flat array (per layer: the out × in weights row by row, then the out biases) so that a
 * gradient is one array of the same layout and Adam updates it with one loop.
 *
 * <p>{@link StrictMath#tanh} rather than {@link Math#tanh}: the JIT may replace Math's by an
 * intrinsic that rounds differently, and a model must score the same on the executors, the
 * driver and {@code serve}.
 */
final class Network implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] sizes;
  private final double[] parameters;
  private final int[] weightOffset;
  private final int[] biasOffset;

  Network(int[] sizes, double[] parameters) {
    if (sizes.length < 2 || Arrays.stream(sizes).anyMatch(width -> width < 1)) {
      throw new IllegalArgumentException("a network needs two or more layers of at least one unit, got "
          + Arrays.toString(sizes));
    }
    this.sizes = sizes.clone();
    this.weightOffset = new int[sizes.length - 1];
    this.biasOffset = new int[sizes.length - 1];
    int offset = 0;
    for (int layer = 0; layer < sizes.length - 1; layer++) {
      weightOffset[layer] = offset;
      offset += sizes[layer] * sizes[layer + 1];
      biasOffset[layer] = offset;
      offset += sizes[layer + 1];
    }
    if (parameters.length != offset) {
      throw new IllegalArgumentException("layers " + Arrays.toString(sizes) + " need " + offset
          + " parameters, got " + parameters.length);
    }
    this.parameters = parameters.clone();
  }

  /** Input, encoder, the encoder mirrored, output: [6, 3] on 8 features is 8-6-3-6-8. */
  static int[] symmetricSizes(int inputs, int[] hiddenLayers) {
    int[] sizes = new int[2 * hiddenLayers.length + 1];
    sizes[0] = inputs;
    sizes[sizes.length - 1] = inputs;
    for (int i = 0; i < hiddenLayers.length; i++) {
      sizes[1 + i] = hiddenLayers[i];
      sizes[sizes.length - 2 - i] = hiddenLayers[i];
    }
    return sizes;
  }

  static int parameterCount(int[] sizes) {
    int count = 0;
    for (int layer = 0; layer < sizes.length - 1; layer++) {
      count += (sizes[layer] + 1) * sizes[layer + 1];
    }
    return count;
  }

  /** Glorot-uniform weights (keeps tanh units out of saturation at the start) and zero biases. */
  static Network initial(int[] sizes, SplittableRandom random) {
    double[] parameters = new double[parameterCount(sizes)];
    int offset = 0;
    for (int layer = 0; layer < sizes.length - 1; layer++) {
      int in = sizes[layer];
      int out = sizes[layer + 1];
      double limit = Math.sqrt(6.0 / (in + out));
      for (int w = 0; w < in * out; w++) {
        parameters[offset++] = (2 * random.nextDouble() - 1) * limit;
      }
      offset += out;
    }
    return new Network(sizes, parameters);
  }

  Network withParameters(double[] updated) {
    return new Network(sizes, updated);
  }

  int inputs() {
    return sizes[0];
  }

  int[] sizes() {
    return sizes.clone();
  }

  double[] parameters() {
    return parameters.clone();
  }

  int parameterCount() {
    return parameters.length;
  }

  /** Per-layer buffers for {@link #squaredError} and {@link #accumulateGradient}: index l holds layer l's units. */
  double[][] newLayerBuffers() {
    double[][] buffers = new double[sizes.length][];
    for (int layer = 0; layer < sizes.length; layer++) {
      buffers[layer] = new double[sizes[layer]];
    }
    return buffers;
  }

  /**
   * The summed squared reconstruction error of the row at {@code data[offset .. offset + inputs)};
   * leaves every layer's activations in {@code activations} (from 1; the input is read in place).
   */
  double squaredError(double[] data, int offset, double[][] activations) {
    int last = sizes.length - 1;
    for (int layer = 1; layer <= last; layer++) {
      double[] previous = layer == 1 ? data : activations[layer - 1];
      int previousOffset = layer == 1 ? offset : 0;
      int in = sizes[layer - 1];
      double[] units = activations[layer];
      int weights = weightOffset[layer - 1];
      int biases = biasOffset[layer - 1];
      for (int o = 0; o < sizes[layer]; o++) {
        double z = parameters[biases + o];
        int row = weights + o * in;
        for (int i = 0; i < in; i++) {
          z += parameters[row + i] * previous[previousOffset + i];
        }
        units[o] = layer < last ? StrictMath.tanh(z) : z;
      }
    }
    double sum = 0;
    double[] output = activations[last];
    for (int j = 0; j < sizes[0]; j++) {
      double difference = output[j] - data[offset + j];
      sum += difference * difference;
    }
    return sum;
  }

  /**
   * Adds the gradient of the row's summed squared error to {@code gradient} (backpropagation) and
   * returns that error. {@code deltas} has the shape of {@link #newLayerBuffers}.
   */
  double accumulateGradient(double[] data, int offset, double[][] activations, double[][] deltas, double[] gradient) {
    double error = squaredError(data, offset, activations);
    int last = sizes.length - 1;
    for (int j = 0; j < sizes[last]; j++) {
      deltas[last][j] = 2 * (activations[last][j] - data[offset + j]);
    }
    for (int layer = last; layer >= 1; layer--) {
      double[] previous = layer == 1 ? data : activations[layer - 1];
      int previousOffset = layer == 1 ? offset : 0;
      int in = sizes[layer - 1];
      int weights = weightOffset[layer - 1];
      int biases = biasOffset[layer - 1];
      double[] delta = deltas[layer];
      for (int o = 0; o < sizes[layer]; o++) {
        int row = weights + o * in;
        for (int i = 0; i < in; i++) {
          gradient[row + i] += delta[o] * previous[previousOffset + i];
        }
        gradient[biases + o] += delta[o];
      }
      if (layer > 1) {
        double[] below = deltas[layer - 1];
        double[] belowUnits = activations[layer - 1];
        for (int i = 0; i < in; i++) {
          double back = 0;
          for (int o = 0; o < sizes[layer]; o++) {
            back += parameters[weights + o * in + i] * delta[o];
          }
          below[i] = back * (1 - belowUnits[i] * belowUnits[i]);
        }
      }
    }
    return error;
  }
}
