package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.registry.ColumnSpec;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.Signature;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one way a registered model reaches FraudLake: a {@code models:/} URI (alias or version) is
 * resolved against the registry, the version's files come from the {@link ModelCache} (downloaded
 * once, checked on every use), the signature must be the silver features,
 * and only the Spark ML classes FraudLake saves are loaded ({@link ModelClasses}). {@code train}
 * (reading back what it registered), {@code promote}, {@code models}, {@code score} and {@code run}
 * all go through it.
 */
public final class ModelStore {
  private final ModelRegistry registry;
  private final ModelCache cache;

  public ModelStore(ModelRegistry registry, Path cacheDir) {
    this.registry = registry;
    this.cache = new ModelCache(cacheDir);
  }

  public ModelRegistry registry() {
    return registry;
  }

  public String describe() {
    return registry.describe();
  }

  /** Where this registry's versions are cached. */
  Path registryFolder() {
    return cache.registryFolder(registry);
  }

  /** The version {@code uri} names now. */
  public ModelVersionInfo resolve(ModelUri uri) {
    return registry.resolve(uri);
  }

  /** Resolves {@code modelUri} and loads that version. */
  public ScoringModel load(String modelUri) {
    return load(resolve(ModelUri.parse(modelUri)));
  }

  /** Loads {@code version}: checked files, the feature signature, allowed classes only. */
  public ScoringModel load(ModelVersionInfo version) {
    MlflowModelDirectory dir = directory(version);
    String label = version.name() + " v" + version.version();
    return new ScoringModel(version.name(), Long.toString(version.version()),
        ModelDirectorySource.loadTransformer(dir.sparkModelPath()), MlflowSignatures.inputSchema(dir.signature(), label),
        version.uri().toString(), ModelDirectorySource.featureReference(dir, label));
  }

  /** The version's signature, without loading its Spark model. */
  public Signature signature(ModelVersionInfo version) {
    return directory(version).signature();
  }

  private MlflowModelDirectory directory(ModelVersionInfo version) {
    MlflowModelDirectory dir = MlflowModelDirectory.read(cache.directory(registry, version));
    List<String> problems = signatureProblems(dir.signature());
    if (!problems.isEmpty()) {
      throw new FraudLakeException(version.uri() + " does not take the " + ModelFeatures.NAMES.size()
          + " silver features as input (its signature: " + String.join(", ", problems) + "); refusing to score with it");
    }
    return dir;
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
