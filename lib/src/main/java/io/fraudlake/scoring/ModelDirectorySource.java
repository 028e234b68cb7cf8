package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.training.FeatureReference;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.types.StructType;

/**
 * A model saved with Spark ML persistence ({@code model.save(dir)}; a PipelineModel or any single
 * Transformer), used as it is: for backfills, reproductions and tests. It never moves; its version is
 * the label the caller gives (the folder name by default).
 */
public final class ModelDirectorySource implements ModelSource {
  private static final Logger LOG = LogManager.getLogger(ModelDirectorySource.class);
  private final Path dir;
  private final String name;
  private final String version;
  private final StructType signature;
  private final Optional<FeatureReference> reference;

  public ModelDirectorySource(Path dir, String name, String version, StructType signature) {
    this(dir, name, version, signature, Optional.empty());
  }

  public ModelDirectorySource(Path dir, String name, String version, StructType signature,
      Optional<FeatureReference> reference) {
    this.dir = dir.toAbsolutePath().normalize();
    this.name = name;
    this.version = version;
    this.signature = signature;
    this.reference = reference;
  }

  /**
   * A saved model labelled with its folder name: an MLflow model directory (its Spark flavor,
   * signature and feature reference are used) or a plain Spark ML folder (taken to expect the 8
   * contract features; no feature reference, so no drift is measured).
   */
  public static ModelDirectorySource of(Path dir, String name) {
    Path normalized = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(normalized)) {
      throw new FraudLakeException("model directory not found: " + normalized);
    }
    String version = String.valueOf(normalized.getFileName());
    if (Files.isRegularFile(normalized.resolve(MlflowModelDirectory.MLMODEL))) {
      MlflowModelDirectory mlflow = MlflowModelDirectory.read(normalized);
      return new ModelDirectorySource(mlflow.sparkModelPath(), name, version,
          MlflowSignatures.inputSchema(mlflow.signature(), name), featureReference(mlflow, name + " v" + version));
    }
    return new ModelDirectorySource(normalized, name, version, GoldSchema.FEATURES);
  }

  @Override
  public String describe() {
    return "model directory " + dir;
  }

  @Override
  public String currentVersion() {
    return version;
  }

  @Override
  public ScoringModel load(String requested) {
    if (!requested.equals(version)) {
      throw new FraudLakeException(describe() + " holds version " + version + ", not " + requested);
    }
    return new ScoringModel(name, version, loadTransformer(dir), signature, dir.toString(), reference);
  }

  /**
   * The training statistics logged beside an MLflow model, if any. One that cannot be read costs
   * drift monitoring for this model, not scoring: a warning, and the model scores without it.
   */
  static Optional<FeatureReference> featureReference(MlflowModelDirectory model, String label) {
    Optional<Path> file = model.file(FeatureReference.FILE_NAME);
    try {
      return file.map(FeatureReference::read);
    } catch (FraudLakeException e) {
      LOG.warn("{}: {}; no feature drift is measured for this model", label, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Loads a Spark ML transformer from its saved folder, once {@link ModelClasses} has allowed every
   * class it names: the class in the folder's metadata has the static {@code load(String)} every
   * MLReadable companion provides.
   */
  public static Transformer loadTransformer(Path dir) {
    String className = ModelClasses.require(dir);
    try {
      Object model = Class.forName(className).getMethod("load", String.class).invoke(null, dir.toString());
      if (!(model instanceof Transformer transformer)) {
        throw new FraudLakeException("the model in " + dir + " is a " + className + ", which cannot transform data");
      }
      return transformer;
    } catch (ClassNotFoundException e) {
      throw new FraudLakeException("the model in " + dir + " needs class " + className + ", which is not on the class path", e);
    } catch (NoSuchMethodException | IllegalAccessException e) {
      throw new FraudLakeException("cannot load a " + className + " from " + dir + ": " + e.getMessage(), e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new FraudLakeException("cannot load the model in " + dir + ": " + cause.getMessage(), cause);
    }
  }
}
