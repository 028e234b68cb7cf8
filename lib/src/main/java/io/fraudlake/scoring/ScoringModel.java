package io.fraudlake.scoring;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.types.StructType;

/**
 * A model ready to score: the loaded Spark ML transformer (usually a PipelineModel ending in an
 * IsolationForestModel that adds {@code fraud_score} and {@code is_anomaly}), the name and version
 * written into every gold row, and the signature (named, typed inputs) its input must match.
 */
public record ScoringModel(String name, String version, Transformer transformer, StructType signature, String origin) {
  public ScoringModel {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(transformer, "transformer");
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(origin, "origin");
  }

  public List<String> featureColumns() {
    return Arrays.asList(signature.fieldNames());
  }

  /** "fraud_isolation_forest v3", as logs and the status line show it. */
  public String label() {
    return name + " v" + version;
  }
}
