package io.fraudlake.jobs;

import io.fraudlake.config.ConfigFileLocator;
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

  @Option(names = "--conf", paramLabel = "FILE",
      description = "Configuration file: a path, or the name of a file shipped with spark-submit --files "
          + "(default: conf/local.conf under ./fraudlake, the defaults built into the jar elsewhere).")
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

  /** The project root the launcher passes, else the current folder; relative defaults resolve against it. */
  static Path projectRoot() {
    String root = launcherRoot();
    return Path.of(root == null ? "." : root).toAbsolutePath().normalize();
  }

  /** Set only by ./fraudlake: spark-submit, a cluster's driver and a Databricks task run without it. */
  private static String launcherRoot() {
    return System.getProperty("fraudlake.root");
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
    Map<String, String> merged = new LinkedHashMap<>(implied);
    merged.putAll(overrides);
    if (conf != null) {
      return FraudLakeConfig.load(ConfigFileLocator.forThisJvm().locate(conf), homeDir, merged);
    }
    if (launcherRoot() != null) {
      return FraudLakeConfig.load(projectRoot().resolve("conf/local.conf"), homeDir, merged);
    }
    // local.conf tunes a laptop's file system; wherever else the jar runs, only its built-in defaults apply.
    return FraudLakeConfig.defaults(homeDir, merged);
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
