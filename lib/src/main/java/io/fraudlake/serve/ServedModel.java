package io.fraudlake.serve;

import io.fraudlake.registry.RunInfo;
import io.fraudlake.scoring.RegistryRecord;
import io.fraudlake.scoring.ScoringModel;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A model as the service serves it: the loaded model, its Spark-free scorer, what the registry
 * records of it, and when it was loaded. One instance answers a request from start to end, so an
 * answer never mixes two versions.
 */
public record ServedModel(ScoringModel model, OnlineScorer scorer, Optional<RegistryRecord> record, Instant loadedAt) {

  public static ServedModel of(ScoringModel model, Optional<RegistryRecord> record, Instant loadedAt) {
    return new ServedModel(model, OnlineScorer.of(model), record, loadedAt);
  }

  public String name() {
    return model.name();
  }

  public String version() {
    return model.version();
  }

  /** {@code GET /model_information}: identity, aliases, run, parameters, metrics, threshold, signature, training window. */
  public Map<String, Object> information() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("name", model.name());
    info.put("version", model.version());
    info.put("aliases", record.map(r -> r.version().aliases().stream().sorted().toList()).orElse(List.of()));
    info.put("run_id", record.map(r -> r.version().runId()).orElse(null));
    info.put("source", record.map(r -> r.version().source()).orElse(model.origin()));
    info.put("registered_at", record.map(r -> String.valueOf(r.version().creationTime())).orElse(null));
    Optional<RunInfo> run = record.flatMap(RegistryRecord::run);
    info.put("parameters", run.map(r -> (Map<String, ?>) new TreeMap<>(r.params())).orElse(Map.of()));
    info.put("metrics", run.map(r -> (Map<String, ?>) new TreeMap<>(r.metrics())).orElse(Map.of()));
    info.put("threshold", scorer.threshold());
    Map<String, String> window = new LinkedHashMap<>();
    run.ifPresent(r -> {
      window.put("start", r.params().get("train_start"));
      window.put("end", r.params().get("train_end"));
    });
    info.put("training_window", window.isEmpty() ? null : window);
    List<Map<String, String>> inputs = new java.util.ArrayList<>();
    for (StructField field : model.signature().fields()) {
      inputs.add(Map.of("name", field.name(), "type", mlflowType(field)));
    }
    info.put("signature", Map.of("inputs", inputs, "feature_order", scorer.inputs()));
    info.put("loaded_at", loadedAt.toString());
    return info;
  }

  /** The type as MLflow's signature names it. */
  private static String mlflowType(StructField field) {
    if (field.dataType().sameType(DataTypes.IntegerType)) {
      return "integer";
    }
    if (field.dataType().sameType(DataTypes.LongType)) {
      return "long";
    }
    return field.dataType().simpleString();
  }
}
