package io.fraudlake.scoring;

import io.fraudlake.training.FeatureReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.spark.sql.types.StructType;

/**
 * A model source whose answer to "which version now?" follows a script over the number of times it
 * was asked: null means unreachable. Versions are saved model folders.
 */
final class ScriptedModelSource implements ModelSource {
  private final Map<String, Path> versions;
  private final Map<String, StructType> signatures;
  private final Map<String, FeatureReference> references;
  private final IntFunction<String> script;
  private final AtomicInteger asked = new AtomicInteger();

  ScriptedModelSource(Map<String, Path> versions, Map<String, StructType> signatures, IntFunction<String> script) {
    this(versions, signatures, Map.of(), script);
  }

  /** Versions that come with the training statistics drift monitoring compares against. */
  ScriptedModelSource(Map<String, Path> versions, Map<String, StructType> signatures,
      Map<String, FeatureReference> references, IntFunction<String> script) {
    this.versions = versions;
    this.signatures = signatures;
    this.references = references;
    this.script = script;
  }

  @Override
  public String describe() {
    return "scripted registry";
  }

  @Override
  public String currentVersion() {
    String version = script.apply(asked.getAndIncrement());
    if (version == null) {
      throw new ModelSourceUnavailableException("connection refused", null);
    }
    return version;
  }

  @Override
  public ScoringModel load(String version) {
    Path dir = versions.get(version);
    return new ScoringModel("fraud_isolation_forest", version, ModelDirectorySource.loadTransformer(dir),
        signatures.getOrDefault(version, GoldSchema.FEATURES), dir.toString(), Optional.ofNullable(references.get(version)));
  }

  int asked() {
    return asked.get();
  }
}
