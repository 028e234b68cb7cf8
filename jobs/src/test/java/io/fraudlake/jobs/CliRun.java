package io.fraudlake.jobs;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs a command line in-process, as a user would type it, and captures what it prints. */
final class CliRun {
  private static final String CONF =
      Path.of(System.getProperty("fraudlake.project.dir", ".."), "conf", "local.conf").toString();

  record Outcome(int exit, String out, String err) {}

  private CliRun() {}

  /**
   * Runs {@code args} with the project's local.conf and {@code home} as runtime folder. The test
   * JVM's one SparkSession is shared, so commands must not stop it; the output is echoed afterwards
   * so a failing test's log still shows it.
   */
  static Outcome run(Path home, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--conf", CONF, "--home", home.toString(),
        "--set", "spark.stop-on-exit=false", "--set", "spark.console-progress=false",
        "--set", "spark.shuffle-partitions=2"));
    return exactly(all.toArray(String[]::new));
  }

  /** Runs {@code args} as they are: no configuration file, runtime folder or settings added. */
  static Outcome exactly(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = Main.run(args);
      return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      oldOut.print(out.toString(StandardCharsets.UTF_8));
      oldErr.print(err.toString(StandardCharsets.UTF_8));
    }
  }
}
