package io.fraudlake.autoencoder;

import io.fraudlake.FraudLakeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains an autoencoder with the data left on the executors: the vectors are cached as one
 * {@link FeatureBlock} per partition; every mini-batch step is one Spark job in which each
 * partition returns the summed gradient of its share of the batch, and the driver adds those in
 * partition order (floating-point sums depend on order, and treeAggregate's combine order varies),
 * averages them and takes one Adam step. Only the weights (out) and one gradient per partition
 * (back) travel, a few hundred numbers each.
 *
 * <p>For a seed and the same input rows in the same partitions, the weights are identical from run to
 * run. Each step is a job, so the batch size sets the cost: the default of 8192 rows keeps an epoch
 * of 100k rows at 13 jobs.
 */
final class AutoencoderTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(AutoencoderTrainer.class);
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-8;

  record Settings(String featuresCol, int[] hiddenLayers, int maxIter, double stepSize, int batchSize, long seed,
      long errorSampleRows) {}

  /** The trained network, the sorted training errors (all rows, or a seeded sample) and the loss of each epoch. */
  record Result(Network network, double[] sortedErrors, double[] epochLoss, long rows) {}

  private AutoencoderTrainer() {}

  static Result train(Dataset<?> dataset, Settings settings) {
    long started = System.nanoTime();
    long seed = settings.seed();
    JavaRDD<FeatureBlock> blocks = dataset.toDF().select(settings.featuresCol()).javaRDD()
        .mapPartitionsWithIndex((partition, rows) -> FeatureBlock.of(partition, rows, seed), false)
        .persist(StorageLevel.MEMORY_AND_DISK());
    // Every step is a job, and each job would otherwise serialize the input's whole lineage into its
    // tasks (for a DataFrame built from driver-side rows, the rows themselves: 100 ms a step at 100k
    // rows). The price: a lost executor fails the fit instead of recomputing its blocks.
    blocks.rdd().localCheckpoint();
    try {
      List<BlockShape> shapes = blocks.map(b -> new BlockShape(b.partition, b.width, b.rows, b.nullRows,
          b.nonFiniteRows, b.otherWidthRows)).collect();
      long rows = shapes.stream().mapToLong(BlockShape::rows).sum();
      int width = checkShapes(shapes, rows, settings.featuresCol());
      int[] sizes = Network.symmetricSizes(width, settings.hiddenLayers());
      Network network = Network.initial(sizes, Seeds.random(settings.seed(), Seeds.INITIAL_WEIGHTS_STREAM, 0, 0));
      int steps = (int) Math.max(1, (rows + settings.batchSize() - 1) / settings.batchSize());
      double[] parameters = network.parameters();
      double[] firstMoment = new double[parameters.length];
      double[] secondMoment = new double[parameters.length];
      double[] epochLoss = new double[settings.maxIter()];
      long updates = 0;
      for (int epoch = 0; epoch < settings.maxIter(); epoch++) {
        double squaredError = 0;
        long seen = 0;
        for (int step = 0; step < steps; step++) {
          Network current = network;
          int epochIndex = epoch;
          int stepIndex = step;
          List<FeatureBlock.BatchGradient> parts = new ArrayList<>(blocks
              .map(b -> b.gradient(current, seed, epochIndex, stepIndex, steps)).collect());
          parts.sort(Comparator.comparingInt(FeatureBlock.BatchGradient::partition));
          double[] gradient = new double[parameters.length];
          long batchRows = 0;
          for (FeatureBlock.BatchGradient part : parts) {
            batchRows += part.rows();
            squaredError += part.squaredError();
            for (int p = 0; p < gradient.length; p++) {
              gradient[p] += part.gradient()[p];
            }
          }
          if (batchRows == 0) {
            // Only with tiny partitions: none holds a row in this slice of the epoch.
            continue;
          }
          seen += batchRows;
          updates++;
          adamStep(parameters, gradient, 1.0 / ((double) batchRows * width), firstMoment, secondMoment, updates,
              settings.stepSize());
          network = network.withParameters(parameters);
        }
        epochLoss[epoch] = squaredError / ((double) seen * width);
        if (!Double.isFinite(epochLoss[epoch])) {
          throw new FraudLakeException("Autoencoder: training diverged (loss " + epochLoss[epoch] + " in epoch "
              + (epoch + 1) + "); lower stepSize, now " + settings.stepSize());
        }
        LOG.info("Autoencoder epoch {}/{}: reconstruction loss {}", epoch + 1, settings.maxIter(),
            String.format("%.6f", epochLoss[epoch]));
      }
      Network trained = network;
      double fraction = Math.min(1.0, (double) settings.errorSampleRows() / rows);
      double[] errors = trainingErrors(blocks, trained, fraction, seed);
      if (errors.length == 0) {
        errors = trainingErrors(blocks, trained, 1.0, seed);
      }
      LOG.info("Trained autoencoder {} on {} rows in {} epochs of {} steps in {} s", Arrays.toString(sizes), rows,
          settings.maxIter(), steps, String.format("%.2f", (System.nanoTime() - started) / 1e9));
      return new Result(trained, errors, epochLoss, rows);
    } finally {
      blocks.unpersist(false);
    }
  }

  private static double[] trainingErrors(JavaRDD<FeatureBlock> blocks, Network network, double fraction, long seed) {
    return blocks.map(b -> b.errors(network, fraction, seed)).collect().stream()
        .flatMapToDouble(Arrays::stream).sorted().toArray();
  }

  /** Adam (Kingma and Ba, 2015) with bias correction; {@code scale} turns the summed gradient into the mean's. */
  private static void adamStep(double[] parameters, double[] gradientSum, double scale, double[] firstMoment,
      double[] secondMoment, long step, double stepSize) {
    double firstCorrection = 1 - Math.pow(BETA1, step);
    double secondCorrection = 1 - Math.pow(BETA2, step);
    for (int p = 0; p < parameters.length; p++) {
      double g = gradientSum[p] * scale;
      firstMoment[p] = BETA1 * firstMoment[p] + (1 - BETA1) * g;
      secondMoment[p] = BETA2 * secondMoment[p] + (1 - BETA2) * g * g;
      double corrected = firstMoment[p] / firstCorrection;
      parameters[p] -= stepSize * corrected / (Math.sqrt(secondMoment[p] / secondCorrection) + EPSILON);
    }
  }

  private static int checkShapes(List<BlockShape> shapes, long rows, String column) {
    long nulls = shapes.stream().mapToLong(BlockShape::nullRows).sum();
    long nonFinite = shapes.stream().mapToLong(BlockShape::nonFiniteRows).sum();
    long otherWidth = shapes.stream().mapToLong(BlockShape::otherWidthRows).sum();
    int[] widths = shapes.stream().filter(s -> s.width() >= 0).mapToInt(BlockShape::width).distinct().sorted().toArray();
    if (nulls > 0) {
      throw new FraudLakeException("Autoencoder: column '" + column + "' has " + nulls
          + " null vectors; drop or fill those rows before fit");
    }
    if (nonFinite > 0) {
      throw new FraudLakeException("Autoencoder: column '" + column + "' has " + nonFinite
          + " vectors with NaN or infinite values; fill or drop them before fit");
    }
    if (otherWidth > 0 || widths.length > 1) {
      throw new FraudLakeException("Autoencoder: vectors in column '" + column + "' have different sizes "
          + Arrays.toString(widths) + "; every row needs the same features");
    }
    if (rows == 0) {
      throw new FraudLakeException("Autoencoder: the input is empty (column '" + column + "' has no rows)");
    }
    if (widths[0] == 0) {
      throw new FraudLakeException("Autoencoder: vectors in column '" + column + "' are empty");
    }
    return widths[0];
  }

  record BlockShape(int partition, int width, long rows, long nullRows, long nonFiniteRows, long otherWidthRows)
      implements java.io.Serializable {}
}
