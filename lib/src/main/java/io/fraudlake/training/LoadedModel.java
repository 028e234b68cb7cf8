package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A registered model version loaded for scoring: its name and version (written into every gold
 * row), the fitted pipeline, the signature (named, typed inputs) it was logged with, and the local
 * MLflow model directory it was read from.
 */
public record LoadedModel(String name, long version, String runId, PipelineModel pipeline, StructType signature, Path directory) {

  /** "fraud_isolation_forest v3". */
  public String label() {
    return name + " v" + version;
  }

  /** The alert threshold stored in the forest. */
  public double threshold() {
    return ModelTrainer.forest(pipeline).threshold();
  }

  /**
   * Refuses {@code input} (e.g. silver's schema) unless it has every signature input with the
   * signature's type.
   */
  public void requireCompatible(StructType input, String inputName) {
    List<String> problems = ModelFeatures.mismatches(input, signature);
    if (!problems.isEmpty()) {
      throw new FraudLakeException(inputName + " cannot feed " + label() + ": " + String.join(", ", problems));
    }
  }

  /**
   * What keeps a signature from being the FraudLake feature contract: inputs missing, mistyped or
   * extra compared with {@link ModelFeatures#SCHEMA}; empty when it matches.
   */
  static List<String> signatureProblems(StructType signature) {
    List<String> problems = new ArrayList<>(ModelFeatures.mismatches(signature, ModelFeatures.SCHEMA));
    Set<String> known = Set.copyOf(ModelFeatures.NAMES);
    for (StructField input : signature.fields()) {
      if (!known.contains(input.name())) {
        problems.add("unexpected input " + input.name());
      }
    }
    return problems;
  }
}
