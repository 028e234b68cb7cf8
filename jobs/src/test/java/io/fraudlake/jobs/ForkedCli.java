package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A FraudLake command in a JVM of its own, as users start it, so a test can SIGKILL it. */
final class ForkedCli {

  private ForkedCli() {}

  static Path projectDir() {
    return Path.of(System.getProperty("fraudlake.project.dir", "..")).toAbsolutePath().normalize();
  }

  /** Starts {@code command} on {@code home} in local[2], output (both streams) to {@code log}. */
  static Process launch(String command, Path home, Path log, Map<String, String> env, List<String> args) throws IOException {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    line.add("-Xmx1g");
    // A forked command lives for seconds to a minute: without the optimizing compiler, whose threads
    // would take CPU from the command and from the test JVM on two cores, it starts with a third less CPU.
    line.add("-XX:TieredStopAtLevel=1");
    // The JVM options Spark needs, which a forked JVM does not inherit from the test JVM.
    line.add("@" + projectDir().resolve("conf/java-options"));
    line.add("-Dfraudlake.root=" + projectDir());
    line.add("-Dlog4j2.configurationFile=" + projectDir().resolve("conf/log4j2-test.properties"));
    line.add("-cp");
    line.add(System.getProperty("java.class.path"));
    line.add(Main.class.getName());
    line.add(command);
    line.addAll(List.of("--home", home.toString(),
        "--set", "spark.master=\"local[2]\"",
        "--set", "spark.shuffle-partitions=2",
        "--set", "spark.console-progress=false",
        "--set", "spark.conf.spark.ui.enabled=false"));
    line.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    builder.environment().remove("MLFLOW_TRACKING_URI");
    builder.environment().putAll(env);
    return builder.start();
  }

  /**
   * Sends {@code signal} (TERM as kill and cluster managers do, INT as Ctrl-C does) and checks that
   * the command stops as a user expects: after its current batch, exit 0, no stack trace.
   */
  static void stopWith(String signal, Process process, Path log) throws IOException, InterruptedException {
    assertFalse(ignoredHere(signal), "SIG" + signal + " is ignored by this test JVM and so by every process it starts, "
        + "which a JVM never lets a handler take over: the build was started in the background by a shell without "
        + "job control; run it in the foreground");
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal);
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), "stops on SIG" + signal + ":\n" + Files.readString(log));
    String output = Files.readString(log);
    assertEquals(0, process.exitValue(), "exit 0 on SIG" + signal + ":\n" + output);
    int received = output.indexOf("SIG" + signal + " received, stopping ");
    assertTrue(received >= 0, "the stop is announced:\n" + output);
    assertFalse(output.substring(received).contains("Exception"), "no stack trace on SIG" + signal + ":\n" + output);
  }

  /** Whether {@code signal} is ignored in this process (Linux: the SigIgn mask of /proc/self/status). */
  private static boolean ignoredHere(String signal) throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return false;
    }
    int number = new sun.misc.Signal(signal).getNumber();
    return Files.readAllLines(status).stream()
        .filter(line -> line.startsWith("SigIgn:"))
        .map(line -> new java.math.BigInteger(line.substring("SigIgn:".length()).strip(), 16))
        .anyMatch(mask -> mask.testBit(number - 1));
  }

  /**
   * Waits until gold holds {@code rows} rows, {@code process} has ended, or {@code patience} has passed,
   * whichever comes first; the caller's assertions say which it was.
   */
  static void awaitGoldRows(Process process, Lakehouse lakehouse, long rows, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (lakehouse.read(Tables.GOLD).count() < rows && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(500);
    }
  }

  /** Commits in a table's log (0 before it exists; creating it is commit 0). */
  static long commits(Lakehouse lakehouse, String table) throws IOException {
    Path log = lakehouse.path(table).resolve("_delta_log");
    if (!Files.isDirectory(log)) {
      return 0;
    }
    try (Stream<Path> files = Files.list(log)) {
      return files.filter(p -> p.getFileName().toString().matches("\\d+\\.json")).count();
    }
  }

  /**
   * Waits (up to 5 minutes) until gold holds {@code commits} commits, then SIGKILLs the process,
   * which must still be running then: the kill lands mid-run.
   */
  static void killOnceGoldHas(Process process, Lakehouse lakehouse, long commits, Path log) throws Exception {
    killOnceTableHas(process, lakehouse, Tables.GOLD, commits, log);
  }

  /** {@link #killOnceGoldHas} for any table the process writes. */
  static void killOnceTableHas(Process process, Lakehouse lakehouse, String table, long commits, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (commits(lakehouse, table) < commits && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(process.isAlive(),
        "the first run must still be working when it is killed:\n" + Files.readString(log));
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, process.exitValue(), "killed by SIGKILL");
  }
}
