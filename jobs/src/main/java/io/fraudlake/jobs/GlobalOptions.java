package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options every sub-command accepts ({@code --conf}, {@code --home}, {@code --set}); mixed into each
 * command so they may be written after the command name, as users do.
 */
public final class GlobalOptions {
  private static volatile boolean verbose;

  @Option(names = "--conf", paramLabel = "FILE", description = "Configuration file (default: conf/local.conf).")
  Path conf;

  @Option(names = "--home", paramLabel = "DIR",
      description = "Runtime folder for landing files, tables, checkpoints and the local registry "
          + "(default: $FRAUDLAKE_HOME or data/).")
  Path home;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one configuration key, e.g. --set features.lateness=\"10 seconds\". Repeatable.")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Option(names = {"-v", "--verbose"}, description = "Show stack traces on errors.")
  void setVerbose(boolean value) {
    verbose = value;
  }

  static boolean verbose() {
    return verbose;
  }

  /** The project root the launcher passes; relative defaults resolve against it. */
  static Path projectRoot() {
    String root = System.getProperty("fraudlake.root");
    return Path.of(root == null ? "." : root).toAbsolutePath().normalize();
  }

  public FraudLakeConfig config() {
    return config(Map.of());
  }

  /** The configuration with {@code implied} settings under the user's own --set overrides. */
  public FraudLakeConfig config(Map<String, String> implied) {
    return config(implied, home());
  }

  /** As {@link #config(Map)}, with the runtime folder at {@code homeDir} instead of --home. */
  public FraudLakeConfig config(Map<String, String> implied, Path homeDir) {
    Path confFile = conf != null ? conf : projectRoot().resolve("conf/local.conf");
    Map<String, String> merged = new LinkedHashMap<>(implied);
    merged.putAll(overrides);
    return FraudLakeConfig.load(confFile, homeDir, merged);
  }

  /** The runtime folder: --home, else $FRAUDLAKE_HOME, else data/ in the project. */
  public Path home() {
    return home != null ? home : defaultHome();
  }

  private static Path defaultHome() {
    String env = System.getenv("FRAUDLAKE_HOME");
    return env != null && !env.isBlank() ? Path.of(env) : projectRoot().resolve("data");
  }
}
