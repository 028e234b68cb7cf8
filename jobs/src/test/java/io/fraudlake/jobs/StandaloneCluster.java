package io.fraudlake.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on 127.0.0.1: a master and two one-core workers, each a JVM of its own
 * started from the Spark and Delta jars the build lists in spark-classpath.txt, laid out as a Spark
 * distribution (SPARK_HOME with RELEASE, jars/ and conf/), because a worker builds its executors' class
 * path from SPARK_HOME as it does on a real cluster. Closing it, or the JVM ending, stops every process
 * it started and their descendants (executors and cluster-mode drivers are the workers' children).
 */
final class StandaloneCluster implements AutoCloseable {
  static final String SCALA_VERSION = "2.13";
  private static final int WORKERS = 2;
  /**
   * For every JVM of the cluster, executors and drivers included: each lives for one short job on two
   * shared cores, where the optimizing compiler's and the parallel collector's threads cost more CPU than
   * they save (bronze --once on 3,000 events: 79 s with the defaults, 50 s with these, same load).
   */
  static final List<String> SHORT_JOB_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
  private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
  private static final Pattern DRIVER_STATE =
      Pattern.compile("\"id\"\\s*:\\s*\"(driver-[^\"]+)\"[^}]*?\"state\"\\s*:\\s*\"([A-Z]+)\"");

  private final Path dir;
  private final Path sparkHome;
  private final List<String> sparkClasspath;
  private final Path javaOptions;
  private final int masterPort;
  private final int webUiPort;
  private final List<Started> started = Collections.synchronizedList(new ArrayList<>());
  /** Every process started here and every descendant seen when stopping it: none may outlive close. */
  private final List<ProcessHandle> known = Collections.synchronizedList(new ArrayList<>());
  private final Thread shutdownHook = new Thread(this::stopAll, "standalone-cluster-stop");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A process this cluster started, with the file its output goes to. */
  record Started(String name, Process process, Path log) {}

  private StandaloneCluster(Path dir, List<String> sparkClasspath, Path javaOptions) throws IOException {
    this.dir = dir;
    this.sparkHome = dir.resolve("spark-home");
    this.sparkClasspath = sparkClasspath;
    this.javaOptions = javaOptions;
    this.masterPort = freePort();
    this.webUiPort = freePort();
  }

  /**
   * Lays out SPARK_HOME under {@code dir}, starts the master and the workers and waits until the
   * master counts both workers alive.
   *
   * @param sparkClasspathFile the build's spark-classpath.txt
   * @param javaOptions conf/java-options, the JVM options every Spark JVM here gets
   * @param log4jConfig logging of the drivers and executors (conf/ of SPARK_HOME)
   */
  static StandaloneCluster start(Path dir, Path sparkClasspathFile, Path javaOptions, Path log4jConfig)
      throws IOException, InterruptedException {
    List<String> classpath = List.of(Files.readString(sparkClasspathFile).strip().split(java.io.File.pathSeparator));
    StandaloneCluster cluster = new StandaloneCluster(dir, classpath, javaOptions);
    Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
    try {
      cluster.layOutSparkHome(log4jConfig);
      cluster.startDaemons();
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The environment every Spark process here gets: what Spark's scripts export. */
  private Map<String, String> sparkEnvironment() {
    return Map.of(
        "SPARK_HOME", sparkHome.toString(),
        "SPARK_SCALA_VERSION", SCALA_VERSION,
        "SPARK_LOCAL_IP", "127.0.0.1",
        // Workers start executors with JAVA_HOME's java: the one running these tests.
        "JAVA_HOME", System.getProperty("java.home"));
  }

  private void layOutSparkHome(Path log4jConfig) throws IOException {
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    for (String entry : sparkClasspath) {
      Path jar = Path.of(entry);
      Path link = jars.resolve(jar.getFileName());
      if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, jar);
      }
    }
    // Spark's launcher takes SPARK_HOME for a distribution (jars/ beside it) only when RELEASE exists.
    Files.writeString(sparkHome.resolve("RELEASE"),
        "Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + " (jars from the local Maven repository)\n");
    Path conf = Files.createDirectories(sparkHome.resolve("conf"));
    Files.copy(log4jConfig, conf.resolve("log4j2.properties"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private void startDaemons() throws IOException, InterruptedException {
    startDaemon("master", List.of("org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", Integer.toString(masterPort), "--webui-port", Integer.toString(webUiPort)));
    // A worker that finds no master retries only after 5 to 15 s: start them once it answers.
    awaitMaster(Duration.ofMinutes(2));
    for (int i = 1; i <= WORKERS; i++) {
      Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
      startDaemon("worker-" + i, List.of("org.apache.spark.deploy.worker.Worker",
          "--host", "127.0.0.1", "--webui-port", Integer.toString(freePort()),
          "--cores", "1", "--memory", "1g", "--work-dir", workDir.toString(), masterUrl()));
    }
    awaitAliveWorkers(Duration.ofMinutes(3));
  }

  /** A master or worker JVM, as sbin/start-master.sh and start-worker.sh start them (spark-class). */
  private void startDaemon(String name, List<String> mainAndArgs) throws IOException {
    List<String> line = new ArrayList<>(List.of(java(), "-Xmx256m"));
    line.addAll(SHORT_JOB_JVM_OPTIONS);
    line.addAll(List.of("@" + javaOptions,
        // The daemons' own REST submission server is off (the master's default too), stated so that no
        // fixed port is ever bound here.
        "-Dspark.master.rest.enabled=false",
        "-cp", sparkHome.resolve("conf") + java.io.File.pathSeparator + sparkHome.resolve("jars") + "/*"));
    line.addAll(mainAndArgs);
    start(name, line, dir, Map.of());
  }

  /** Starts {@code command} in {@code cwd} with Spark's environment plus {@code env}, logging to a file. */
  Started start(String name, List<String> command, Path cwd, Map<String, String> env) throws IOException {
    Path log = dir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> environment = builder.environment();
    // Nothing of the developer's own Spark or FraudLake setup may leak into the cluster.
    environment.keySet().removeIf(k -> k.startsWith("SPARK_") || k.startsWith("FRAUDLAKE_") || k.startsWith("MLFLOW_")
        || k.startsWith("PYSPARK_") || k.equals("HADOOP_CONF_DIR"));
    environment.putAll(sparkEnvironment());
    environment.putAll(env);
    Started process = new Started(name, builder.start(), log);
    started.add(process);
    known.add(process.process().toHandle());
    return process;
  }

  /**
   * What bin/spark-submit runs: {@code SparkSubmit} in a JVM of its own with SPARK_HOME's conf/ and
   * jars/ as class path and the JVM options of conf/java-options (spark-submit adds the same), against
   * this cluster's master. In client mode (the default) this JVM is the driver.
   *
   * @param submitArgs everything after {@code spark-submit --master URL}: options, the jar, its arguments
   */
  Started submit(String name, Path cwd, Map<String, String> env, List<String> submitArgs) throws IOException {
    List<String> line = new ArrayList<>(List.of(java(), "-Xmx1g"));
    line.addAll(SHORT_JOB_JVM_OPTIONS);
    line.addAll(List.of("@" + javaOptions,
        "-cp", sparkHome.resolve("conf") + java.io.File.pathSeparator + sparkHome.resolve("jars") + "/*",
        "org.apache.spark.deploy.SparkSubmit", "--master", masterUrl()));
    line.addAll(submitArgs);
    Files.writeString(dir.resolve(name + ".cmd"), String.join(" ", line) + "\n");
    return start(name, line, cwd, env);
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private void awaitMaster(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (masterJson() == null) {
      assertStillRunning("the master started");
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the master's web UI does not answer after " + timeout + "\n" + tails());
      }
      Thread.sleep(200);
    }
  }

  private void assertStillRunning(String during) {
    synchronized (started) {
      for (Started s : started) {
        if (!s.process().isAlive()) {
          throw new AssertionError(s.name() + " exited with " + s.process().exitValue() + " while " + during + "\n"
              + tails());
        }
      }
    }
  }

  private void awaitAliveWorkers(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int alive = -1;
    while (System.nanoTime() < deadline) {
      assertStillRunning("the workers registered");
      String json = masterJson();
      if (json != null) {
        Matcher m = ALIVE_WORKERS.matcher(json);
        alive = m.find() ? Integer.parseInt(m.group(1)) : -1;
        if (alive == WORKERS) {
          return;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the master counts " + alive + " alive workers after " + timeout + ", not " + WORKERS
        + "\n" + tails());
  }

  /** The master's state as its web UI serves it ({@code /json/}), or null while it does not answer. */
  String masterJson() throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webUiPort + "/json/"))
        .timeout(Duration.ofSeconds(10)).build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** The state the master reports for each driver submitted in cluster mode (id to state). */
  Map<String, String> driverStates() throws InterruptedException {
    String json = masterJson();
    Map<String, String> states = new java.util.LinkedHashMap<>();
    if (json != null) {
      Matcher m = DRIVER_STATE.matcher(json);
      while (m.find()) {
        states.put(m.group(1), m.group(2));
      }
    }
    return states;
  }

  /** The last lines of every process's log (and of the executors' and drivers' logs), for a failure message. */
  String tails() {
    StringBuilder out = new StringBuilder();
    List<Started> all;
    synchronized (started) {
      all = List.copyOf(started);
    }
    for (Started s : all) {
      out.append("---- ").append(s.name()).append(" (").append(s.log()).append(")\n").append(tail(s.log(), 40));
    }
    for (int i = 1; i <= WORKERS; i++) {
      Path work = dir.resolve("worker-" + i);
      if (!Files.isDirectory(work)) {
        continue;
      }
      try (var files = Files.walk(work, 3)) {
        for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).sorted().toList()) {
          out.append("---- ").append(f).append('\n').append(tail(f, 20));
        }
      } catch (IOException | UncheckedIOException e) {
        out.append("(cannot list ").append(work).append(": ").append(e.getMessage()).append(")\n");
      }
    }
    return out.toString();
  }

  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")\n";
    }
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run: nothing is left to remove.
    }
  }

  /**
   * Stops the processes newest first (drivers, then workers, then the master): SIGTERM, as
   * stop-worker.sh sends, lets a worker kill its executors; whatever of a process's descendants
   * survives that is then killed too.
   */
  private void stopAll() {
    List<Started> all;
    synchronized (started) {
      all = new ArrayList<>(started);
    }
    Collections.reverse(all);
    for (Started s : all) {
      ProcessHandle handle = s.process().toHandle();
      List<ProcessHandle> descendants = handle.descendants().toList();
      known.addAll(descendants);
      stop(handle, Duration.ofSeconds(20));
      descendants.forEach(d -> stop(d, Duration.ofSeconds(10)));
    }
  }

  /** The processes started here, or seen as their descendants, that are still alive. */
  List<ProcessHandle> survivors() {
    synchronized (known) {
      return known.stream().filter(ProcessHandle::isAlive).toList();
    }
  }

  private static void stop(ProcessHandle handle, Duration grace) {
    if (!handle.isAlive()) {
      return;
    }
    handle.destroy();
    try {
      handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception notYet) {
      handle.destroyForcibly();
      try {
        handle.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Nothing more can be done from Java; the process list in the failure shows it.
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}
