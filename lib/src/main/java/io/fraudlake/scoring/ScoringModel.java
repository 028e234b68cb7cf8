package io.fraudlake.scoring;

import io.fraudlake.monitoring.FeatureDrift;
import io.fraudlake.training.FeatureReference;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.types.StructType;

/**
 * A model ready to score: the loaded Spark ML transformer (usually a PipelineModel ending in an
 * IsolationForestModel that adds {@code fraud_score} and {@code is_anomaly}), the name and version
 * written into every gold row, the signature (named, typed inputs) its input must match, and the
 * statistics of its training data that drift monitoring compares batches with, when the model was
 * logged with them ({@value FeatureReference#FILE_NAME}; a bare saved pipeline has none).
 */
public record ScoringModel(String name, String version, Transformer transformer, StructType signature, String origin,
    Optional<FeatureReference> featureReference) {
  public ScoringModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(transformer, "transformer");
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(featureReference, "featureReference");
  }

  /** A model without training statistics: it scores, but no drift is measured against it. */
  public ScoringModel(String name, String version, Transformer transformer, StructType signature, String origin) {
    this(name, version, transformer, signature, origin, Optional.empty());
  }

  public List<String> featureColumns() {
    return Arrays.asList(signature.fieldNames());
  }

  /**
   * The PSI measure of batches against this model's training data, over the inputs its reference
   * describes: what {@code score} records per batch. Empty without a reference of any input.
   */
  public Optional<FeatureDrift> featureDrift() {
    List<String> inputs = featureColumns();
    List<FeatureReference.Feature> features = featureReference.map(r -> r.features().stream()
        .filter(f -> inputs.contains(f.name())).toList()).orElse(List.of());
    return features.isEmpty() ? Optional.empty() : Optional.of(new FeatureDrift(features));
  }

  /** "fraud_isolation_forest v3", as logs and the status line show it. */
  public String label() {
    return name + " v" + version;
  }
}
