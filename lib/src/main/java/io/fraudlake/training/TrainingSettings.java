package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a training run is parameterised by, read from the {@code model} section of the
 * configuration (command-line options arrive as configuration overrides, so a run is fully described
 * by its configuration). Logged as the run's parameters.
 */
public record TrainingSettings(
    String modelName,
    String experiment,
    String algorithm,
    int trees,
    int samplesPerTree,
    double maxFeatures,
    double contamination,
    boolean bootstrap,
    long seed,
    double trainFraction,
    Instant trainUntil,
    int referenceBins,
    QualityFloors quality) {

  public TrainingSettings {
    require(!modelName.isBlank(), "model.name must not be empty");
    require(!experiment.isBlank(), "model.experiment must not be empty");
    Detectors.requireKnown(algorithm);
    require(trees >= 1, "the number of trees must be at least 1, not " + trees);
    require(samplesPerTree >= 2, "samples per tree must be at least 2, not " + samplesPerTree);
    require(maxFeatures > 0.0 && maxFeatures <= 1.0, "max features must be a fraction in (0, 1], not " + maxFeatures);
    require(contamination > 0.0 && contamination <= 0.5, "contamination must be in (0, 0.5], not " + contamination);
    require(trainUntil != null || (trainFraction > 0.0 && trainFraction < 1.0),
        "the train fraction must be between 0 and 1 (exclusive), not " + trainFraction);
    require(referenceBins >= 2, "model.reference-bins must be at least 2, not " + referenceBins);
    require(quality != null, "the quality floors must be given");
  }

  public static TrainingSettings fromConfig(FraudLakeConfig config) {
    return new TrainingSettings(
        config.string("model.name"),
        config.string("model.experiment"),
        config.string("model.algorithm"),
        config.integer("model.trees"),
        config.integer("model.samples-per-tree"),
        config.decimal("model.max-features"),
        config.decimal("model.contamination"),
        config.flag("model.bootstrap"),
        config.longValue("model.seed"),
        config.decimal("model.train-fraction"),
        null,
        config.integer("model.reference-bins"),
        QualityFloors.fromConfig(config));
  }

  /** Train on every row before {@code cutoff} instead of a fraction. */
  public TrainingSettings withTrainUntil(Instant cutoff) {
    return new TrainingSettings(modelName, experiment, algorithm, trees, samplesPerTree, maxFeatures, contamination,
        bootstrap, seed, trainFraction, cutoff, referenceBins, quality);
  }

  /** The same settings with another detector. */
  public TrainingSettings withAlgorithm(String name) {
    return new TrainingSettings(modelName, experiment, name, trees, samplesPerTree, maxFeatures, contamination,
        bootstrap, seed, trainFraction, trainUntil, referenceBins, quality);
  }

  /** The run parameters, named like MLflow users name them. */
  public Map<String, String> params() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("model_name", modelName);
    params.put("algorithm", algorithm);
    params.putAll(Detectors.params(this));
    params.put("contamination", Double.toString(contamination));
    params.put("seed", Long.toString(seed));
    if (trainUntil != null) {
      params.put("split", "train_until");
      params.put("train_until", trainUntil.toString());
    } else {
      params.put("split", "train_fraction");
      params.put("train_fraction", Double.toString(trainFraction));
    }
    params.put("features", String.join(",", ModelFeatures.NAMES));
    params.put("scaler", "StandardScaler(withMean=true, withStd=true)");
    params.put("reference_bins", Integer.toString(referenceBins));
    if (quality.enforced()) {
      params.put("quality_min_roc_auc", Double.toString(quality.minRocAuc()));
      params.put("quality_min_pr_auc", Double.toString(quality.minPrAuc()));
    }
    return params;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new FraudLakeException(message);
    }
  }
}
