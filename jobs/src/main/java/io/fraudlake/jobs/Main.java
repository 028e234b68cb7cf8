package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The single entry point: {@code ./fraudlake <command>} locally, and
 * {@code spark-submit --class io.fraudlake.jobs.Main fraudlake-jobs.jar <command>} on a cluster or as a
 * Databricks task. Each sub-command parses its options and calls the library; nothing else lives here.
 */
@Command(
    name = "fraudlake",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Real-time card-fraud detection on Spark, Delta Lake and MLflow.",
    subcommands = {
        DemoCommand.class,
        GenerateCommand.class,
        BronzeCommand.class,
        SilverCommand.class,
        TrainCommand.class,
        PromoteCommand.class,
        CompareCommand.class,
        ModelsCommand.class,
        ScoreCommand.class,
        ServeCommand.class,
        RunCommand.class,
        EvaluateCommand.class,
        SqlCommand.class,
        MaintainCommand.class,
        SimulateDriftCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns the exit code (0 ok, 1 failed, 2 bad usage). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(Main::onBadUsage);
    cli.setExecutionExceptionHandler(Main::onFailure);
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  private static int onBadUsage(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandSpec().qualifiedName() + ": error: " + e.getMessage()
        + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
    err.flush();
    return 2;
  }

  private static int onFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    String who = cmd.getCommandSpec().qualifiedName();
    if (e instanceof FraudLakeException || e instanceof IllegalArgumentException) {
      err.println(who + ": error: " + e.getMessage());
    } else {
      err.println(who + ": failed: " + e.getClass().getSimpleName() + ": " + Lakehouse.rootMessage(e));
    }
    if (GlobalOptions.verbose()) {
      e.printStackTrace(err);
    }
    err.flush();
    return 1;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"fraudlake " + (version == null ? "development build" : version)
          + " (Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ")"};
    }
  }
}
