package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.ColumnSpec;
import io.fraudlake.registry.Signature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.types.StructType;

/**
 * A registered model version loaded for scoring: its name and version (written into every gold
 * row), the fitted pipeline, the signature (named, typed inputs) it was logged with, and the local
 * MLflow model directory it was read from.
 */
public record LoadedModel(String name, long version, String runId, PipelineModel pipeline, Signature signature, Path directory) {

  /** "fraud_isolation_forest v3". */
  public String label() {
    return name + " v" + version;
  }

  /** The alert threshold stored in the forest. */
  public double threshold() {
    return ModelTrainer.forest(pipeline).threshold();
  }

  /** Refuses {@code input} (e.g. silver's schema) unless it has every signature input with the signature's type. */
  public void requireCompatible(StructType input, String inputName) {
    try {
      signature.requireMatches(input);
    } catch (FraudLakeException e) {
      throw new FraudLakeException(inputName + " cannot feed " + label() + ": " + e.getMessage(), e);
    }
  }

  /**
   * What keeps a signature from being the FraudLake feature contract: inputs missing, mistyped or
   * extra compared with {@link ModelFeatures#SCHEMA}; empty when it matches.
   */
  static List<String> signatureProblems(Signature signature) {
    Map<String, ColumnSpec> actual = signature.inputs().stream()
        .collect(Collectors.toMap(ColumnSpec::name, Function.identity(), (a, b) -> a));
    List<String> problems = new ArrayList<>();
    List<ColumnSpec> expected = Signature.columns(ModelFeatures.SCHEMA);
    for (ColumnSpec want : expected) {
      ColumnSpec have = actual.get(want.name());
      if (have == null) {
        problems.add(want.name() + " missing");
      } else if (!have.type().equals(want.type())) {
        problems.add(want.name() + " is " + have.type() + ", expected " + want.type());
      }
    }
    List<String> known = expected.stream().map(ColumnSpec::name).toList();
    for (ColumnSpec input : signature.inputs()) {
      if (!known.contains(input.name())) {
        problems.add("unexpected input " + input.name());
      }
    }
    return problems;
  }
}
