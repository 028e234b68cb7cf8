package io.fraudlake.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.fraudlake.FraudLakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings every job reads: one HOCON file (conf/local.conf, conf/databricks.conf), overridden
 * by environment variables the file names and by {@code --set key=value} on the command line, plus
 * the runtime folder that holds landing files, tables, checkpoints and the local registry.
 */
public final class FraudLakeConfig {
  private static final String ROOT = "fraudlake";

  private final Config config;
  private final Path home;

  private FraudLakeConfig(Config config, Path home) {
    this.config = config;
    this.home = home.toAbsolutePath().normalize();
  }

  /** Loads {@code file} with {@code overrides} (keys relative to {@code fraudlake.}) on top. */
  public static FraudLakeConfig load(Path file, Path home, Map<String, String> overrides) {
    if (!Files.isRegularFile(file)) {
      throw new FraudLakeException("configuration file not found: " + file);
    }
    Config fromFile;
    try {
      fromFile = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new FraudLakeException("cannot read configuration " + file + ": " + e.getMessage(), e);
    }
    return build(fromFile, home, overrides, file.toString());
  }

  /** The built-in defaults (the same content as conf/local.conf), for tests and embedding. */
  public static FraudLakeConfig defaults(Path home) {
    return defaults(home, Map.of());
  }

  public static FraudLakeConfig defaults(Path home, Map<String, String> overrides) {
    Config fromResource = ConfigFactory.parseResources(FraudLakeConfig.class, "/fraudlake-reference.conf");
    return build(fromResource, home, overrides, "built-in defaults");
  }

  private static Config overridesAsConfig(Map<String, String> overrides) {
    Config result = ConfigFactory.empty();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String key = e.getKey().startsWith(ROOT + ".") ? e.getKey() : ROOT + "." + e.getKey();
      // Parse the value as HOCON so numbers, booleans and durations keep their types.
      Config parsed;
      try {
        parsed = ConfigFactory.parseString("v = " + e.getValue());
      } catch (ConfigException ex) {
        parsed = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(e.getValue()));
      }
      result = result.withValue(key, parsed.getValue("v"));
    }
    return result;
  }

  private static FraudLakeConfig build(Config base, Path home, Map<String, String> overrides, String origin) {
    Config defaults = ConfigFactory.parseResources(FraudLakeConfig.class, "/fraudlake-reference.conf");
    Config merged;
    try {
      merged = overridesAsConfig(overrides)
          .withFallback(base)
          .withFallback(defaults)
          .resolve();
      Config reference = defaults.resolve();
      merged.checkValid(reference, ROOT);
      requireReferenceTypes(merged, reference);
    } catch (ConfigException e) {
      throw new FraudLakeException("invalid configuration (" + origin + "): " + e.getMessage(), e);
    }
    return new FraudLakeConfig(merged, home);
  }

  /**
   * Reads every key the reference defines with the reference's type. Typesafe Config accepts a string
   * wherever a number is expected until the value is first read; failing here names the key at start-up
   * instead of in the middle of a job.
   */
  private static void requireReferenceTypes(Config merged, Config reference) {
    for (Map.Entry<String, com.typesafe.config.ConfigValue> entry : reference.entrySet()) {
      String path = entry.getKey();
      switch (entry.getValue().valueType()) {
        case NUMBER -> merged.getNumber(path);
        case BOOLEAN -> merged.getBoolean(path);
        case STRING -> {
          if (isDuration(reference, path)) {
            merged.getDuration(path);
          }
        }
        default -> { }
      }
    }
  }

  private static boolean isDuration(Config config, String path) {
    try {
      config.getDuration(path);
      return !config.getString(path).isBlank() && Character.isDigit(config.getString(path).charAt(0));
    } catch (ConfigException e) {
      return false;
    }
  }

  /** A copy with some keys (relative to {@code fraudlake.}) replaced. */
  public FraudLakeConfig with(Map<String, String> overrides) {
    return new FraudLakeConfig(overridesAsConfig(overrides).withFallback(config).resolve(), home);
  }

  /** The same settings with another runtime folder (landing, lakehouse, registry and reports move with it). */
  public FraudLakeConfig withHome(Path otherHome) {
    return new FraudLakeConfig(config, otherHome);
  }

  public Config raw() {
    return config.getConfig(ROOT);
  }

  public Path home() {
    return home;
  }

  public Path landingDir() {
    return home.resolve(string("landing.dir"));
  }

  /** Where {@code landing.clean-source = archive} moves the landing files a stream has read. */
  public Path landingArchiveDir() {
    return home.resolve(string("landing.archive-dir"));
  }

  public Path lakehouseDir() {
    return home.resolve("lakehouse");
  }

  public Path checkpointsDir() {
    return home.resolve("checkpoints");
  }

  public Path registryDir() {
    return home.resolve("registry");
  }

  public Path reportsDir() {
    return home.resolve("reports");
  }

  public String string(String key) {
    return get(key, () -> raw().getString(key));
  }

  public int integer(String key) {
    return get(key, () -> raw().getInt(key));
  }

  public long longValue(String key) {
    return get(key, () -> raw().getLong(key));
  }

  public double decimal(String key) {
    return get(key, () -> raw().getDouble(key));
  }

  public boolean flag(String key) {
    return get(key, () -> raw().getBoolean(key));
  }

  public Duration duration(String key) {
    return get(key, () -> raw().getDuration(key));
  }

  /** Settings under {@code key} flattened to dotted keys, e.g. extra Spark conf. */
  public Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    Config section = get(key, () -> raw().getConfig(key));
    section.entrySet().forEach(e -> out.put(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped())));
    return out;
  }

  private static String stripQuotes(String key) {
    return key.length() > 1 && key.startsWith("\"") && key.endsWith("\"") ? key.substring(1, key.length() - 1) : key;
  }

  private <T> T get(String key, java.util.function.Supplier<T> reader) {
    try {
      return reader.get();
    } catch (ConfigException e) {
      throw new FraudLakeException("configuration key fraudlake." + key + ": " + e.getMessage(), e);
    }
  }
}
