package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A sub-command: global options, then {@link #run(JobContext)} with Spark stopped afterwards. */
abstract class FraudLakeCommand implements Callable<Integer> {
  @Mixin GlobalOptions global;

  @Override
  public final Integer call() throws Exception {
    try (JobContext context = new JobContext(config())) {
      return run(context);
    }
  }

  /** The configuration the command runs with; a command with its own runtime folder moves it here. */
  FraudLakeConfig config() {
    return global.config(configOverrides());
  }

  /** Settings a command's own options imply (e.g. one trigger for every stage); --set still wins. */
  Map<String, String> configOverrides() {
    return Map.of();
  }

  /** Does the work; returns the exit code. Throw FraudLakeException for a one-line user error. */
  abstract int run(JobContext context) throws Exception;
}
