package io.fraudlake.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.autoencoder.AutoencoderModel;
import io.fraudlake.iforest.IsolationForestModel;
import io.fraudlake.iforest.extended.ExtendedIsolationForestModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.VectorAssembler;

/**
 * The Spark ML classes a saved model may name. Spark ML persistence instantiates whatever class a
 * stage's {@code metadata/} names, so a model directory from a registry or a shared folder could
 * otherwise make the job load and run any class on its class path. Every {@code metadata/} file
 * under the model (the pipeline's and each stage's) is read before Spark loads anything.
 */
public final class ModelClasses {
  /** What FraudLake's training writes: the pipeline, its feature stages and the detector. */
  static final Set<String> ALLOWED = Set.of(
      PipelineModel.class.getName(),
      VectorAssembler.class.getName(),
      StandardScalerModel.class.getName(),
      IsolationForestModel.class.getName(),
      ExtendedIsolationForestModel.class.getName(),
      AutoencoderModel.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelClasses() {}

  /** The class the model in {@code dir} is saved as, after checking it and every stage's against the allow-list. */
  public static String require(Path dir) {
    Path metadata = dir.resolve("metadata");
    if (!Files.isDirectory(metadata)) {
      throw new FraudLakeException("not a saved Spark ML model (no metadata/ folder): " + dir);
    }
    List<Path> stages;
    try (Stream<Path> walk = Files.walk(dir)) {
      stages = walk.filter(p -> p.getFileName().toString().equals("metadata") && Files.isDirectory(p)).sorted().toList();
    } catch (IOException e) {
      throw new FraudLakeException("cannot read the model in " + dir + ": " + e.getMessage(), e);
    }
    for (Path stage : stages) {
      String className = className(stage);
      if (!ALLOWED.contains(className)) {
        throw new FraudLakeException("refusing to load the model in " + dir + ": " + dir.relativize(stage)
            + " names class " + className + ", which is not one FraudLake saves (allowed: "
            + String.join(", ", ALLOWED.stream().sorted().toList()) + ")");
      }
    }
    return className(metadata);
  }

  private static String className(Path metadata) {
    try (Stream<Path> parts = Files.list(metadata)) {
      Path part = parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().findFirst()
          .orElseThrow(() -> new FraudLakeException("empty model metadata folder: " + metadata));
      String firstLine = Files.readAllLines(part).stream().filter(l -> !l.isBlank()).findFirst()
          .orElseThrow(() -> new FraudLakeException("empty model metadata: " + part));
      JsonNode json = JSON.readTree(firstLine);
      if (!json.hasNonNull("class")) {
        throw new FraudLakeException("model metadata names no class: " + part);
      }
      return json.get("class").asText();
    } catch (IOException e) {
      throw new FraudLakeException("cannot read model metadata in " + metadata + ": " + e.getMessage(), e);
    }
  }
}
