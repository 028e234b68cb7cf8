package io.fraudlake.jobs;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.JobLeases;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

  /**
   * Leases on the checkpoints of {@code queries}, held by this command until closed: taken before a
   * stream starts, so a second process that wants one of them fails with one line naming this one.
   */
  JobLeases leaseCheckpoints(JobContext context, List<String> queries) {
    return JobLeases.onCheckpoints(context.lakehouse(), commandName(), queries);
  }

  /** The command's name, as users type it and as a lease names its holder. */
  String commandName() {
    return getClass().getAnnotation(Command.class).name();
  }

  /** Does the work; returns the exit code. Throw FraudLakeException for a one-line user error. */
  abstract int run(JobContext context) throws Exception;
}
