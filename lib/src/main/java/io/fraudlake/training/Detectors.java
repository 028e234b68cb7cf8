package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.iforest.IsolationForest;
import java.util.List;
import org.apache.spark.ml.PipelineStage;

/**
 * The detectors FraudLake trains, by the name {@code train --algorithm} and {@code compare} take.
 * Each reads the standardized feature vector and adds {@code fraud_score} and {@code is_anomaly}
 * with the same meaning, so every registered model scores through {@code score}, {@code run} and
 * {@code serve} unchanged: the detector's class travels in the saved pipeline.
 */
public final class Detectors {
  public static final String ISOLATION_FOREST = "iforest";
  public static final List<String> ALGORITHMS = List.of(ISOLATION_FOREST);

  private Detectors() {}

  /** The unfitted detector {@code settings} asks for, reading {@link ModelFeatures#SCALED_VECTOR}. */
  public static PipelineStage estimator(TrainingSettings settings) {
    return switch (settings.algorithm()) {
      case ISOLATION_FOREST -> new IsolationForest()
          .setNumTrees(settings.trees())
          .setMaxSamples(settings.samplesPerTree())
          .setMaxFeatures(settings.maxFeatures())
          .setContamination(settings.contamination())
          .setBootstrap(settings.bootstrap())
          .setSeed(settings.seed())
          .setFeaturesCol(ModelFeatures.SCALED_VECTOR)
          .setScoreCol(ModelFeatures.SCORE)
          .setPredictionCol(ModelFeatures.PREDICTION);
      default -> throw new IllegalArgumentException("no detector named " + settings.algorithm());
    };
  }

  /** Fails with one line naming the choices when {@code name} is not a detector. */
  public static void requireKnown(String name) {
    if (!ALGORITHMS.contains(name)) {
      throw new FraudLakeException("unknown algorithm '" + name + "'; choose one of " + String.join(", ", ALGORITHMS));
    }
  }

  /** What the console calls a detector. */
  public static String describe(String algorithm) {
    return switch (algorithm) {
      case ISOLATION_FOREST -> "Isolation Forest";
      default -> algorithm;
    };
  }
}
