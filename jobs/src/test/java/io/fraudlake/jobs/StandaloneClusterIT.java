package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster jar on a Spark standalone cluster (a master and two one-core workers, separate JVMs on
 * 127.0.0.1), submitted through Spark's own launcher as spark-submit does, from a folder that is not the
 * project and holds no configuration, without --conf: generate, bronze, silver, train, score --once, then
 * {@code run} on a second runtime folder while files land. The tables must hold what the landing files
 * held, gold one row per silver row, and every score must be the one local mode computes.
 */
class StandaloneClusterIT {
  private static final String MAIN = "io.fraudlake.jobs.Main";
  private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(8);
  /** Lateness (2 s) plus the slack the soak test allows: every older event must have reached silver. */
  private static final long SILVER_SLACK_SECONDS = 3;

  private final Path project = ForkedCli.projectDir();
  private final Path jar = Path.of(System.getProperty("fraudlake.jobs.jar", "target/fraudlake-jobs.jar")).toAbsolutePath();
  private final Path sparkClasspath =
      Path.of(System.getProperty("fraudlake.spark.classpath", "target/spark-classpath.txt")).toAbsolutePath();
  private StandaloneCluster cluster;
  private Path cwd;
  private int step;
  private final long testStart = System.nanoTime();

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void pipelineOnAStandaloneClusterMatchesLocalMode() throws Exception {
    assertTrue(Files.isRegularFile(jar) && Files.isRegularFile(sparkClasspath),
        "the cluster jar and spark-classpath.txt come from `package`: " + jar + ", " + sparkClasspath);
    Path dir = jar.getParent().resolve("cluster-it");
    deleteTree(dir);
    Files.createDirectories(dir);
    // Outside the project: no conf/ here or in any parent folder the jobs might look in.
    cwd = Files.createTempDirectory("fraudlake-submit-");
    Path batchHome = dir.resolve("home-batch");
    Path liveHome = dir.resolve("home-live");

    cluster = StandaloneCluster.start(dir, sparkClasspath, project.resolve("conf/java-options"),
        project.resolve("conf/log4j2.properties"));
    try {
      log("cluster up");
      // generate starts no Spark application, so the driver is cheap to place on a worker: cluster mode.
      submitInClusterMode("generate", "--home", batchHome.toString(), "--rows", "3000", "--files", "2",
          "--seed", "11", "--start", "2024-03-10", "--days", "2");
      assertEquals(3000, landingLines(batchHome), "generate in cluster mode wrote the landing files");

      assertContains(submit("bronze", "--once", "--home", batchHome.toString()),
          "bronze: 3,000 rows written to bronze_transactions, 0 quarantined");
      assertContains(submit("silver", "--once", "--home", batchHome.toString()), "silver: 3,000 bronze rows read");
      assertContains(submit("train", "--trees", "100", "--home", batchHome.toString()),
          "Registered fraud_isolation_forest version 1  @challenger @prod");
      assertContains(submit("score", "--once", "--home", batchHome.toString()), "score: ");

      runWhileFilesLand(liveHome, batchHome.resolve("registry"));
    } catch (Throwable e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.tails(), e);
    } finally {
      cluster.close();
    }
    assertEquals(List.of(), cluster.survivors(), "every process the cluster started has ended");
    log("cluster stopped");

    Lakehouse batch = lakehouse(batchHome);
    assertEquals(3000, batch.read(Tables.BRONZE).count() + batch.read(Tables.QUARANTINE).count(),
        "bronze and quarantine hold every landing line");
    assertEquals(0, batch.read(Tables.QUARANTINE).count());
    assertSilverComplete(batch);
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(batch);

    Lakehouse live = lakehouse(liveHome);
    assertEquals(landingLines(liveHome), live.read(Tables.BRONZE).count() + live.read(Tables.QUARANTINE).count(),
        "bronze and quarantine hold every landing line once");
    assertEquals(2, live.read(Tables.QUARANTINE).count(), "the two bad lines are quarantined");
    assertSilverComplete(live);
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(live);

    // The same silver scored in this JVM, in local mode, with the same @prod model.
    assertScoredAsLocally(batch, batchHome, Tables.SILVER, "local_scores");
    assertScoredAsLocally(live, batchHome, live.path(Tables.SILVER).toString(), "local_scores_live");
    try (Stream<Path> left = Files.list(cwd)) {
      assertEquals(List.of(), left.toList(), "the jobs leave nothing in the folder they were submitted from");
    }
    deleteTree(cwd);
    log("checked");
  }

  /**
   * {@code run} on a fresh runtime folder (it cannot take over the streams of the first), scoring with the
   * first folder's @prod through MLFLOW_TRACKING_URI. Files land before it starts and while it runs: a
   * later day of events, a copy of an earlier file (re-sent lines) and two bad lines; then SIGTERM.
   */
  private void runWhileFilesLand(Path home, Path registry) throws Exception {
    submit("generate", "--home", home.toString(), "--rows", "2000", "--files", "2", "--seed", "12",
        "--start", "2024-03-12", "--days", "1");
    StandaloneCluster.Started run = cluster.submit(name("run"), cwd, Map.of("MLFLOW_TRACKING_URI", registry.toUri().toString()),
        clientMode(List.of("run", "--home", home.toString(), "--trigger", "1s")));
    long runStart = System.nanoTime();
    Lakehouse lakehouse = lakehouse(home);
    awaitCondition(run, Duration.ofMinutes(6), "gold gets its first rows",
        () -> ForkedCli.commits(lakehouse, Tables.GOLD) >= 2);
    log("run: first rows in gold after " + Duration.ofNanos(System.nanoTime() - runStart).toSeconds() + " s");

    submit("generate", "--home", home.toString(), "--rows", "1000", "--files", "1", "--seed", "13",
        "--start", "2024-03-13", "--days", "1");
    Path landing = home.resolve("landing");
    Path first;
    try (Stream<Path> files = Files.list(landing)) {
      first = files.filter(p -> p.getFileName().toString().contains("-s12-")).sorted().findFirst().orElseThrow();
    }
    // Written aside and moved in, as generate does, so the stream never reads half a file.
    atomicWrite(landing.resolve("resent.jsonl"), Files.readString(first));
    atomicWrite(landing.resolve("bad-lines.jsonl"), "not json at all\n{\"TransactionID\":\"no-timestamp\"}\n");

    long lines = landingLines(home);
    // Counting with Spark takes CPU from the cluster: only after some table has a new commit.
    long[] commitsSeen = {-1};
    awaitCondition(run, Duration.ofMinutes(6), "every landed line reaches bronze and silver, and gold catches up", () -> {
      long commits = 0;
      for (String table : List.of(Tables.BRONZE, Tables.QUARANTINE, Tables.SILVER, Tables.GOLD)) {
        commits += ForkedCli.commits(lakehouse, table);
      }
      if (commits == commitsSeen[0]) {
        return false;
      }
      commitsSeen[0] = commits;
      return caughtUp(lakehouse, lines);
    });
    log("run: caught up after " + Duration.ofNanos(System.nanoTime() - runStart).toSeconds() + " s");

    run.process().destroy();
    assertTrue(run.process().waitFor(2, TimeUnit.MINUTES), "run stops on SIGTERM\n" + StandaloneCluster.tail(run.log(), 40));
    assertEquals(0, run.process().exitValue(), "run exits cleanly on SIGTERM\n" + StandaloneCluster.tail(run.log(), 40));
    String out = Files.readString(run.log());
    assertFalse(out.contains("ERROR"), "no error logged by run\n" + StandaloneCluster.tail(run.log(), 40));
  }

  private static boolean caughtUp(Lakehouse lakehouse, long landingLines) {
    long bronze = lakehouse.read(Tables.BRONZE).count();
    long quarantine = lakehouse.read(Tables.QUARANTINE).count();
    if (bronze + quarantine < landingLines) {
      return false;
    }
    long silver = lakehouse.read(Tables.SILVER).count();
    return silver >= mustBeInSilver(lakehouse).count() && lakehouse.read(Tables.GOLD).count() == silver;
  }

  /** The distinct transactions in bronze old enough that the watermark has let them out to silver. */
  private static Dataset<Row> mustBeInSilver(Lakehouse lakehouse) {
    Dataset<Row> bronze = lakehouse.read(Tables.BRONZE);
    Row newest = bronze.selectExpr("max(event_timestamp)").first();
    return bronze.where(bronze.col("event_timestamp").lt(
            org.apache.spark.sql.functions.lit(newest.getTimestamp(0))
                .minus(org.apache.spark.sql.functions.expr("INTERVAL " + SILVER_SLACK_SECONDS + " SECONDS"))))
        .select("TransactionID").distinct();
  }

  private static void assertSilverComplete(Lakehouse lakehouse) {
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    long rows = silver.count();
    assertEquals(rows, silver.select("TransactionID").distinct().count(), "no transaction twice in silver");
    Dataset<Row> bronzeIds = lakehouse.read(Tables.BRONZE).select("TransactionID").distinct();
    assertEquals(0, silver.select("TransactionID").except(bronzeIds).count(), "silver holds only bronze's transactions");
    assertEquals(0, mustBeInSilver(lakehouse).except(silver.select("TransactionID")).count(),
        "every transaction older than the lateness reached silver");
    assertTrue(bronzeIds.count() - rows <= 5, "only the newest events wait for the watermark: "
        + bronzeIds.count() + " in bronze, " + rows + " in silver");
  }

  /**
   * Scores {@code input} in-process (local mode, the test JVM's session) with {@code registryHome}'s @prod
   * into {@code output}, and requires gold's score and flag of every transaction to be the same.
   */
  private static void assertScoredAsLocally(Lakehouse lakehouse, Path registryHome, String input, String output) {
    CliRun.Outcome local = CliRun.run(registryHome, "score", "--batch", "--input", input, "--output", output);
    assertEquals(0, local.exit(), local.err());
    Dataset<Row> gold = lakehouse.read(Tables.GOLD).select("TransactionID", "fraud_score", "is_anomaly", "model_version");
    Dataset<Row> expected = lakehouse(registryHome).read(output)
        .selectExpr("TransactionID", "fraud_score AS local_score", "is_anomaly AS local_anomaly",
            "model_version AS local_version");
    Dataset<Row> joined = gold.join(expected, "TransactionID");
    long rows = gold.count();
    assertTrue(rows > 0);
    assertEquals(rows, joined.count(), "local mode scored every gold transaction");
    Dataset<Row> differing = joined.where("abs(fraud_score - local_score) > 1e-12 OR is_anomaly <> local_anomaly "
        + "OR model_version <> local_version");
    assertEquals(0, differing.count(), () -> "cluster and local scores differ:\n" + differing.limit(10).collectAsList());
  }

  private String submit(String... appArgs) throws Exception {
    return submitAndWait(appArgs[0], clientMode(List.of(appArgs)));
  }

  /** The cluster jar in client mode: this submitting JVM is the driver, the workers' executors do the work. */
  private List<String> clientMode(List<String> appArgs) {
    List<String> args = new ArrayList<>(List.of("--class", MAIN,
        "--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=2",
        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", StandaloneCluster.SHORT_JOB_JVM_OPTIONS),
        // Delta rebuilds a table's state in 50 tasks by default; these tables are a few files each.
        "--conf", "spark.databricks.delta.snapshotPartitions=2",
        // Nothing here looks at the driver's UI; not binding it keeps port 4040 free for others.
        "--conf", "spark.ui.enabled=false",
        jar.toString()));
    args.addAll(appArgs);
    return args;
  }

  /** Cluster mode: a worker starts the driver in its own folder and spark-submit waits for it to end. */
  private void submitInClusterMode(String... appArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("--deploy-mode", "cluster", "--class", MAIN,
        "--driver-memory", "512m", "--conf", "spark.standalone.submit.waitAppCompletion=true",
        "--conf", "spark.driver.extraJavaOptions=" + String.join(" ", StandaloneCluster.SHORT_JOB_JVM_OPTIONS)));
    args.add(jar.toString());
    args.addAll(List.of(appArgs));
    submitAndWait(appArgs[0] + "-cluster-mode", args);
    Map<String, String> drivers = cluster.driverStates();
    assertEquals(List.of("FINISHED"), List.copyOf(drivers.values()), "the driver's state: " + drivers);
  }

  private String submitAndWait(String command, List<String> args) throws Exception {
    long start = System.nanoTime();
    StandaloneCluster.Started submitted = cluster.submit(name(command), cwd, Map.of(), args);
    boolean ended = submitted.process().waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    assertTrue(ended, command + " still running after " + COMMAND_TIMEOUT);
    String out = Files.readString(submitted.log());
    assertEquals(0, submitted.process().exitValue(), command + " failed:\n" + StandaloneCluster.tail(submitted.log(), 60));
    log(command + ": " + Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0 + " s");
    return out;
  }

  private String name(String command) {
    return String.format("%02d-%s", ++step, command);
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitCondition(StandaloneCluster.Started process, Duration timeout, String what, Check check)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!check.holds()) {
      assertTrue(process.process().isAlive(), process.name() + " ended before " + what + ":\n"
          + StandaloneCluster.tail(process.log(), 60));
      assertTrue(System.nanoTime() < deadline, "not within " + timeout + ": " + what);
      Thread.sleep(2_000);
    }
  }

  private static Lakehouse lakehouse(Path home) {
    return SharedSpark.lakehouse(FraudLakeConfig.defaults(home));
  }

  private static long landingLines(Path home) throws IOException {
    long lines = 0;
    try (Stream<Path> files = Files.list(home.resolve("landing"))) {
      for (Path f : files.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
        try (Stream<String> l = Files.lines(f)) {
          lines += l.count();
        }
      }
    }
    return lines;
  }

  private static void atomicWrite(Path target, String content) throws IOException {
    Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.writeString(temp, content);
    Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static void assertContains(String output, String expected) {
    assertTrue(output.contains(expected), "expected '" + expected + "' in:\n" + output);
  }

  private void log(String message) {
    System.out.printf(java.util.Locale.ROOT, "[cluster-it %5.1f s] %s%n", (System.nanoTime() - testStart) / 1e9, message);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
