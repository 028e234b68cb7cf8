package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.autoencoder.Autoencoder;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.extended.ExtendedIsolationForest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineStage;

/**
 * The detectors FraudLake trains, by the name {@code train --algorithm} and {@code compare} take.
 * Each reads the standardized feature vector and adds {@code fraud_score} and {@code is_anomaly}
 * with the same meaning, so every registered model scores through {@code score}, {@code run} and
 * {@code serve} unchanged: the detector's class travels in the saved pipeline.
 */
public final class Detectors {
  public static final String ISOLATION_FOREST = "iforest";
  public static final String EXTENDED_ISOLATION_FOREST = "eif";
  public static final String AUTOENCODER = "autoencoder";
  public static final List<String> ALGORITHMS = List.of(ISOLATION_FOREST, EXTENDED_ISOLATION_FOREST, AUTOENCODER);

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
      // Fully extended (random hyperplanes in all 8 dimensions) unless extensionLevel is set through the API.
      case EXTENDED_ISOLATION_FOREST -> new ExtendedIsolationForest()
          .setNumTrees(settings.trees())
          .setMaxSamples(settings.samplesPerTree())
          .setContamination(settings.contamination())
          .setBootstrap(settings.bootstrap())
          .setSeed(settings.seed())
          .setFeaturesCol(ModelFeatures.SCALED_VECTOR)
          .setScoreCol(ModelFeatures.SCORE)
          .setPredictionCol(ModelFeatures.PREDICTION);
      // The autoencoder's own defaults (8-6-3-6-8, 20 epochs of Adam); the forest's tree settings do not apply.
      case AUTOENCODER -> new Autoencoder()
          .setContamination(settings.contamination())
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

  /** The detector's own parameters as a run logs them (the shared ones are in {@link TrainingSettings#params}). */
  public static Map<String, String> params(TrainingSettings settings) {
    Map<String, String> params = new LinkedHashMap<>();
    switch (settings.algorithm()) {
      case ISOLATION_FOREST -> {
        params.put("num_trees", Integer.toString(settings.trees()));
        params.put("max_samples", Integer.toString(settings.samplesPerTree()));
        params.put("max_features", Double.toString(settings.maxFeatures()));
        params.put("bootstrap", Boolean.toString(settings.bootstrap()));
      }
      case EXTENDED_ISOLATION_FOREST -> {
        params.put("num_trees", Integer.toString(settings.trees()));
        params.put("max_samples", Integer.toString(settings.samplesPerTree()));
        params.put("bootstrap", Boolean.toString(settings.bootstrap()));
        params.put("extension_level", "fully extended (d - 1)");
      }
      case AUTOENCODER -> {
        Autoencoder autoencoder = (Autoencoder) estimator(settings);
        params.put("hidden_layers", java.util.Arrays.stream(autoencoder.getHiddenLayers()).mapToObj(Integer::toString)
            .collect(java.util.stream.Collectors.joining(",")));
        params.put("max_iter", Integer.toString(autoencoder.getMaxIter()));
        params.put("step_size", Double.toString(autoencoder.getStepSize()));
        params.put("batch_size", Integer.toString(autoencoder.getBatchSize()));
      }
      default -> throw new IllegalArgumentException("no detector named " + settings.algorithm());
    }
    return params;
  }

  /** What the console calls a detector. */
  public static String describe(String algorithm) {
    return switch (algorithm) {
      case ISOLATION_FOREST -> "Isolation Forest";
      case EXTENDED_ISOLATION_FOREST -> "Extended Isolation Forest";
      case AUTOENCODER -> "Autoencoder (8-6-3-6-8, reconstruction error)";
      default -> algorithm;
    };
  }
}
