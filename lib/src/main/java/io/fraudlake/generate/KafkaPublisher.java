package io.fraudlake.generate;

import io.fraudlake.FraudLakeException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes (key, line) pairs to one Kafka topic, optionally at a steady rate for streaming demos.
 * Keyed by card, so a card's events stay in one partition, in the order they were sent.
 */
public final class KafkaPublisher implements BiConsumer<String, String>, AutoCloseable {
  private final String topic;
  private final String servers;
  private final double rate;
  private final KafkaProducer<String, String> producer;
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private long sent;
  private long started;

  /**
   * {@code clientOptions} are Kafka producer settings (keys without Spark's {@code kafka.} prefix);
   * {@code rate} is records per second, 0 for as fast as the broker takes them.
   */
  public KafkaPublisher(String servers, String topic, Map<String, String> clientOptions, double rate) {
    if (servers == null || servers.isBlank()) {
      throw new FraudLakeException("fraudlake.source.kafka.bootstrap-servers is not set (host:port[,host:port...])");
    }
    if (topic == null || topic.isBlank()) {
      throw new FraudLakeException("no topic: give --topic or set fraudlake.source.kafka.topic");
    }
    if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
      throw new FraudLakeException("--rate must be 0 (as fast as possible) or a positive number of events per second, got " + rate);
    }
    this.topic = topic;
    this.servers = servers;
    this.rate = rate;
    Map<String, Object> config = new HashMap<>(clientOptions);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    // Every record acknowledged by all in-sync replicas, none doubled by a retry.
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    // A missing topic or an unreachable cluster fails the command in seconds, not after a minute.
    config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
    try {
      this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new FraudLakeException("cannot connect a Kafka producer to " + servers + ": " + firstLine(e), e);
    }
  }

  /** Spark's {@code kafka.*} source options as producer settings (the prefix dropped). */
  public static Map<String, String> clientOptions(Map<String, String> sparkOptions) {
    Map<String, String> out = new HashMap<>();
    sparkOptions.forEach((key, value) -> {
      if (key.startsWith("kafka.")) {
        out.put(key.substring("kafka.".length()), value);
      }
    });
    return out;
  }

  @Override
  public void accept(String key, String line) {
    rethrow();
    if (sent == 0) {
      started = System.nanoTime();
    }
    if (rate > 0) {
      pace();
    }
    try {
      producer.send(new ProducerRecord<>(topic, key, line), (metadata, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
      });
    } catch (org.apache.kafka.common.KafkaException e) {
      throw failed(e);
    }
    sent++;
  }

  /** Records handed to the producer. */
  public long sent() {
    return sent;
  }

  /** Waits until every record sent so far is acknowledged; a failure is a one-line error. */
  public void flush() {
    try {
      producer.flush();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw failed(e);
    }
    rethrow();
  }

  /** Waits until every record is acknowledged (or failed); a failure is a one-line error. */
  @Override
  public void close() {
    try {
      producer.flush();
    } finally {
      producer.close(java.time.Duration.ofSeconds(30));
    }
    rethrow();
  }

  private void pace() {
    long due = started + (long) (sent * 1e9 / rate);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FraudLakeException("publishing to " + topic + " was interrupted after " + sent + " records");
      }
    }
  }

  private void rethrow() {
    Exception e = failure.get();
    if (e != null) {
      throw failed(e);
    }
  }

  private FraudLakeException failed(Exception e) {
    return new FraudLakeException("cannot publish to Kafka topic " + topic + " at " + servers + ": " + firstLine(e), e);
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
