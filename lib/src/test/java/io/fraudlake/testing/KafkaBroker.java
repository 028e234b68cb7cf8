package io.fraudlake.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One real Kafka broker in KRaft mode (broker and controller in one process) on 127.0.0.1, in a JVM
 * of its own started from the Kafka jars on the test class path: the tests talk to it over the
 * network as the jobs would to a cluster, and a Kafka bug or a Kafka log4j setting stays out of the
 * test JVM. Its data lives in a temp folder, its output in {@code target/kafka-broker-*.log}.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(90);

  private final Path dataDir;
  private final Path log;
  private final int port;
  private final Process process;
  private final Thread shutdownHook;

  private KafkaBroker(Path dataDir, Path log, int port, Process process) {
    this.dataDir = dataDir;
    this.log = log;
    this.port = port;
    this.process = process;
    // A test JVM that ends without close() (a failed assertion in a static block, Ctrl-C) must not
    // leave a broker holding ports on the machine.
    this.shutdownHook = new Thread(process::destroyForcibly, "kafka-broker-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  private static KafkaBroker shared;

  /**
   * The broker this test JVM's Kafka tests share, started by the first of them and stopped when the
   * JVM ends: each test class names topics of its own, and a broker start costs seconds.
   */
  public static synchronized KafkaBroker shared() {
    if (shared == null || !shared.process.isAlive()) {
      shared = start();
    }
    return shared;
  }

  /** Formats a fresh storage folder, starts the broker and returns once an admin client is answered. */
  public static KafkaBroker start() {
    try {
      Path dataDir = SharedSpark.tempDir("kafka");
      int port = freePort();
      int controllerPort = freePort();
      Path properties = dataDir.resolve("server.properties");
      Files.writeString(properties, serverProperties(dataDir.resolve("logs"), port, controllerPort));
      Path logDir = Path.of("target").toAbsolutePath();
      Files.createDirectories(logDir);
      Path log = logDir.resolve("kafka-broker-" + port + ".log");

      // KRaft needs its metadata log formatted with a cluster id before the first start.
      Process format = java(List.of("kafka.tools.StorageTool", "format", "--ignore-formatted",
          "--cluster-id", Uuid.randomUuid().toString(), "--config", properties.toString()), log, false).start();
      if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
        format.destroyForcibly();
        throw new IllegalStateException("kafka storage format failed:\n" + Files.readString(log));
      }
      Process process = java(List.of("kafka.Kafka", properties.toString()), log, true).start();
      KafkaBroker broker = new KafkaBroker(dataDir, log, port, process);
      try {
        broker.awaitReady();
      } catch (RuntimeException | Error e) {
        broker.close();
        throw e;
      }
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public Map<String, Object> clientConfig() {
    return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
  }

  public Path log() {
    return log;
  }

  /** Creates {@code topic} with {@code partitions} partitions (replication 1: one broker). */
  public void createTopic(String topic, int partitions) {
    try (Admin admin = Admin.create(clientConfig())) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code topic} from its beginning until {@code expected} records came or a minute passed;
   * returns what came (the caller asserts the count, so a shortfall shows what did arrive).
   */
  public List<ConsumerRecord<String, String>> consume(String topic, int expected) {
    Map<String, Object> config = new HashMap<>(clientConfig());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + topic + "-" + Uuid.randomUuid());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(records::add);
      }
    }
    return records;
  }

  @Override
  public void close() {
    // SIGTERM first, so the broker closes its logs cleanly; SIGKILL if it hangs.
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook runs anyway.
    }
    deleteQuietly(dataDir);
  }

  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("kafka broker exited with " + process.exitValue() + ":\n" + tail());
      }
      Properties config = new Properties();
      config.putAll(clientConfig());
      config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
      config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
      try (Admin admin = Admin.create(config)) {
        if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
          return;
        }
      } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
        last = e;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("kafka broker did not answer within " + STARTUP.toSeconds() + " s (" + last + "):\n" + tail());
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static ProcessBuilder java(List<String> mainAndArgs, Path log, boolean append) {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    line.add("-Xmx512m");
    line.add("-XX:+UseSerialGC");
    line.add("-Djava.awt.headless=true");
    // Kafka logs through SLF4J to the log4j of the test class path; the tests' settings keep it terse.
    line.add("-Dlog4j2.configurationFile=" + SharedSpark.projectDir().resolve("conf/log4j2-test.properties"));
    line.add("-cp");
    line.add(System.getProperty("java.class.path"));
    line.addAll(mainAndArgs);
    ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
    return append
        ? builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        : builder.redirectOutput(log.toFile());
  }

  private static String serverProperties(Path logDirs, int port, int controllerPort) {
    return String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + logDirs,
        "num.partitions=1",
        "auto.create.topics.enable=false",
        // One broker: the internal topics cannot have more replicas than that.
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "")
        + "\n";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // A temp folder: left for the OS if it cannot go now.
    }
  }
}
