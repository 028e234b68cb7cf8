package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.Signature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;

/**
 * Loads a registered model for scoring: {@code models:/fraud_isolation_forest@prod} → the version
 * it names now → its MLflow model directory (downloaded once into a local cache: registered
 * versions never change) → the PipelineModel and its signature. A model whose signature is not
 * the 8 silver features is refused here, before it can score anything.
 */
public final class RegisteredModels {
  private RegisteredModels() {}

  /** Resolves {@code modelUri} and loads that version. */
  public static LoadedModel load(ModelRegistry registry, String modelUri, Path cacheDir) {
    return load(registry, registry.resolve(ModelUri.parse(modelUri)), cacheDir);
  }

  public static LoadedModel load(ModelRegistry registry, ModelVersionInfo version, Path cacheDir) {
    Path dir = download(registry, version, cacheDir);
    MlflowModelDirectory model = MlflowModelDirectory.read(dir);
    requireFeatureSignature(version, model.signature());
    PipelineModel pipeline;
    try {
      pipeline = PipelineModel.load(model.sparkModelPath().toUri().toString());
    } catch (RuntimeException e) {
      throw new FraudLakeException("cannot load the Spark model of " + version.uri() + " from " + model.sparkModelPath()
          + ": " + io.fraudlake.spark.Lakehouse.rootMessage(e), e);
    }
    // Fail now, not at the first batch, when the pipeline is not ours.
    ModelTrainer.forest(pipeline);
    return new LoadedModel(version.name(), version.version(), version.runId(), pipeline, model.signature(), dir);
  }

  /** The version's signature inputs, without loading the Spark model. */
  public static Signature signature(ModelRegistry registry, ModelVersionInfo version, Path cacheDir) {
    return MlflowModelDirectory.read(download(registry, version, cacheDir)).signature();
  }

  static void requireFeatureSignature(ModelVersionInfo version, Signature signature) {
    List<String> problems = LoadedModel.signatureProblems(signature);
    if (!problems.isEmpty()) {
      throw new FraudLakeException(version.uri() + " does not take the " + ModelFeatures.NAMES.size()
          + " silver features as input (its signature: " + String.join(", ", problems) + "); refusing to score with it");
    }
  }

  /**
   * The version's model directory in {@code cacheDir}, downloading it on first use. The cache key
   * includes the registry, since two servers both have a version 1.
   */
  static Path download(ModelRegistry registry, ModelVersionInfo version, Path cacheDir) {
    String registryKey = UUID.nameUUIDFromBytes(registry.describe().getBytes(StandardCharsets.UTF_8)).toString().substring(0, 8);
    Path target = cacheDir.resolve(registryKey).resolve(version.name()).resolve(Long.toString(version.version()));
    if (Files.isRegularFile(target.resolve(MlflowModelDirectory.MLMODEL)) && sameRun(target, version)) {
      return target;
    }
    Path partial = cacheDir.resolve(registryKey).resolve(".download-" + UUID.randomUUID());
    try {
      Files.createDirectories(partial.getParent());
      registry.downloadModelVersion(version, partial);
      if (!Files.isRegularFile(partial.resolve(MlflowModelDirectory.MLMODEL))) {
        throw new FraudLakeException(version.uri() + " is not an MLflow model (no MLmodel file at " + version.source() + ")");
      }
      deleteRecursively(target);
      Files.createDirectories(target.getParent());
      // Readers only ever see a complete directory.
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new FraudLakeException("cannot download " + version.uri() + " into " + cacheDir + ": " + e.getMessage(), e);
    } finally {
      deleteRecursively(partial);
    }
  }

  private static boolean sameRun(Path dir, ModelVersionInfo version) {
    try {
      return version.runId() == null || MlflowModelDirectory.read(dir).runId().map(version.runId()::equals).orElse(true);
    } catch (FraudLakeException e) {
      return false;
    }
  }

  private static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> files = Files.walk(path)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot clean up " + path + ": " + e.getMessage(), e);
    }
  }
}
