package io.fraudlake.bronze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.KafkaPublisher;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.KafkaBroker;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class KafkaBronzeTest {
  private static final String GOOD = "{\"TransactionID\":\"k-%d\",\"event_timestamp\":\"2024-03-10T08:00:00Z\","
      + "\"card_id\":\"c%d\",\"TransactionAmt\":1.5,\"ProductCD\":\"W\"}";

  private static final KafkaBroker broker = KafkaBroker.shared();

  @Test
  void everyRecordOfThreePartitionsLandsOnceInBronzeOrQuarantineWithItsCoordinatesAndARestartAddsOnlyNewOnes() throws Exception {
    broker.createTopic("card-events", 3);
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of(
        "source.kind", "kafka",
        "source.kafka.bootstrap-servers", broker.bootstrapServers(),
        "source.kafka.topic", "card-events",
        // Several micro-batches, so the offsets carried from batch to batch are exercised too.
        "source.kafka.max-offsets-per-trigger", "7")));

    Map<String, String> sent = produce("card-events", 0, 30);
    BronzeStats first = Pipelines.bronzeOnce(lakehouse);
    assertEquals(30, first.written() + first.quarantined());
    assertEquals(6, first.quarantined(), "every fifth record is not JSON");
    assertEquals(sent, landed(lakehouse));

    // A second run reads from the checkpoint's offsets: nothing twice, the new records once.
    Map<String, String> more = produce("card-events", 30, 12);
    BronzeStats second = Pipelines.bronzeOnce(lakehouse);
    assertEquals(12, second.written() + second.quarantined());
    sent.putAll(more);
    assertEquals(sent, landed(lakehouse));

    BronzeStats third = Pipelines.bronzeOnce(lakehouse);
    assertEquals(0, third.written() + third.quarantined());
    assertEquals(42, lakehouse.read(Tables.BRONZE).count() + lakehouse.read(Tables.QUARANTINE).count());
  }

  @Test
  void aTopicPatternReadsEveryMatchingTopicAndNoOther() {
    broker.createTopic("payments-eu", 2);
    broker.createTopic("payments-us", 1);
    broker.createTopic("audit", 1);
    Map<String, Integer> perTopic = new TreeMap<>();
    try (KafkaPublisher publisher = new KafkaPublisher(broker.bootstrapServers(), "payments-eu", Map.of(), 0);
        KafkaPublisher us = new KafkaPublisher(broker.bootstrapServers(), "payments-us", Map.of(), 0);
        KafkaPublisher audit = new KafkaPublisher(broker.bootstrapServers(), "audit", Map.of(), 0)) {
      for (int i = 0; i < 9; i++) {
        publisher.accept("c" + i, String.format(GOOD, 100 + i, i));
      }
      for (int i = 0; i < 4; i++) {
        us.accept("c" + i, String.format(GOOD, 200 + i, i));
      }
      audit.accept("c0", String.format(GOOD, 300, 0));
      // Flushed, not closed: every record sent so far is acknowledged and readable now.
      publisher.flush();
      us.flush();
      audit.flush();

      Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of(
          "source.kind", "kafka",
          "source.kafka.bootstrap-servers", broker.bootstrapServers(),
          "source.kafka.topic-pattern", "payments-.*")));
      BronzeStats stats = Pipelines.bronzeOnce(lakehouse);
      assertEquals(13, stats.written());
      assertEquals(0, stats.quarantined());
      for (Row r : lakehouse.read(Tables.BRONZE).select("source_file").collectAsList()) {
        perTopic.merge(r.getString(0).substring(KafkaLines.SCHEME.length()).split("/")[0], 1, Integer::sum);
      }
    }
    assertEquals(Map.of("payments-eu", 9, "payments-us", 4), perTopic);
  }

  @Test
  void aKafkaSourceNeedsItsServersOneTopicAndOnlyKafkaClientOptions() {
    assertError("fraudlake.source.kafka.bootstrap-servers is not set", Map.of("source.kafka.topic", "t"));
    assertError("set one of fraudlake.source.kafka.topic and fraudlake.source.kafka.topic-pattern",
        Map.of("source.kafka.bootstrap-servers", "127.0.0.1:1"));
    assertError("set one of", Map.of("source.kafka.bootstrap-servers", "127.0.0.1:1", "source.kafka.topic", "t",
        "source.kafka.topic-pattern", "t.*"));
    assertError("only Kafka client options (kafka.*)", Map.of("source.kafka.bootstrap-servers", "127.0.0.1:1",
        "source.kafka.topic", "t", "source.kafka.options.failOnDataLoss", "false"));
    assertError("must be earliest, latest", Map.of("source.kafka.bootstrap-servers", "127.0.0.1:1",
        "source.kafka.topic", "t", "source.kafka.starting-offsets", "first"));
    FraudLakeException kind = assertThrows(FraudLakeException.class,
        () -> BronzeJob.isKafka(SharedSpark.freshConfig(Map.of("source.kind", "topic"))));
    assertEquals("fraudlake.source.kind must be landing or kafka, got \"topic\"", kind.getMessage());
  }

  @Test
  void clientOptionsArePassedThroughAndTheirValuesAreNotInTheErrors() {
    String secret = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret\";";
    Map<String, String> overrides = new HashMap<>(Map.of("source.kafka.bootstrap-servers", "127.0.0.1:1",
        "source.kafka.topic", "t", "source.kafka.max-offsets-per-trigger", "100"));
    overrides.put("source.kafka.options.\"kafka.sasl.jaas.config\"", "\"" + secret.replace("\"", "\\\"") + "\"");
    overrides.put("source.kafka.options.\"kafka.bootstrap.servers\"", "elsewhere:9092");
    FraudLakeConfig clash = SharedSpark.freshConfig(overrides);
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> KafkaLines.options(clash));
    assertTrue(e.getMessage().contains("kafka.bootstrap.servers is set by fraudlake.source.kafka.bootstrap-servers"), e.getMessage());
    assertTrue(!e.getMessage().contains("s3cret") && !e.getMessage().contains("elsewhere"), e.getMessage());

    overrides.remove("source.kafka.options.\"kafka.bootstrap.servers\"");
    Map<String, String> options = KafkaLines.options(SharedSpark.freshConfig(overrides));
    assertEquals(secret, options.get("kafka.sasl.jaas.config"));
    assertEquals("100", options.get("maxOffsetsPerTrigger"));
    assertEquals("earliest", options.get("startingOffsets"));
    assertEquals("t", options.get("subscribe"));
    assertTrue(!KafkaLines.describe(SharedSpark.freshConfig(overrides)).contains("s3cret"));
    // Spark prints a source's options in plans (explain, a failed query's exception): the part it
    // lets FraudLake mask is masked. Its v1 fallback relation is printed unmasked (hence the config
    // providers in fraudlake-reference.conf), so only the masked form is asserted.
    org.apache.spark.sql.Dataset<Row> lines = KafkaLines.lines(SharedSpark.session(), SharedSpark.freshConfig(overrides));
    String plan = lines.queryExecution().logical().treeString();
    assertTrue(plan.contains("kafka.sasl.jaas.config=*********(redacted)"), plan);

    // A Kafka config provider's placeholder is passed as it is: the client resolves it, Spark never sees the secret.
    overrides.put("source.kafka.options.\"kafka.sasl.jaas.config\"", "\"${env:KAFKA_SASL_JAAS_CONFIG}\"");
    overrides.put("source.kafka.options.\"kafka.config.providers\"", "env");
    Map<String, String> viaEnv = KafkaLines.options(SharedSpark.freshConfig(overrides));
    assertEquals("${env:KAFKA_SASL_JAAS_CONFIG}", viaEnv.get("kafka.sasl.jaas.config"));
    assertEquals("env", viaEnv.get("kafka.config.providers"));
  }

  private static void assertError(String expected, Map<String, String> overrides) {
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> KafkaLines.options(SharedSpark.freshConfig(overrides)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  /**
   * Produces {@code count} records round the partitions (every fifth not JSON); returns each record's
   * coordinates with what bronze or quarantine should show for it: a good record's ID, a bad one's line.
   */
  private static Map<String, String> produce(String topic, int from, int count) throws Exception {
    Map<String, Object> config = new HashMap<>(broker.clientConfig());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    Map<String, String> sent = new TreeMap<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < from + count; i++) {
        boolean bad = i % 5 == 4;
        String value = bad ? "not json " + i : String.format(GOOD, i, i % 4);
        RecordMetadata at = producer.send(new ProducerRecord<>(topic, i % 3, "c" + (i % 4), value)).get();
        sent.put(KafkaLines.SCHEME + at.topic() + "/" + at.partition() + "/" + at.offset(), bad ? value : "k-" + i);
      }
    }
    return sent;
  }

  /** Bronze's rows (by TransactionID) and quarantine's (by raw line) under their source; a record twice fails. */
  private static Map<String, String> landed(Lakehouse lakehouse) {
    Map<String, String> landed = new TreeMap<>();
    List<Row> rows = new ArrayList<>(lakehouse.read(Tables.BRONZE).select("source_file", "TransactionID").collectAsList());
    rows.addAll(lakehouse.read(Tables.QUARANTINE).select("source_file", "raw").collectAsList());
    for (Row r : rows) {
      assertEquals(null, landed.put(r.getString(0), r.getString(1)), "no record twice: " + r.getString(0));
    }
    Set<String> partitions = new TreeSet<>();
    landed.keySet().forEach(k -> partitions.add(k.substring(KafkaLines.SCHEME.length()).split("/")[1]));
    assertEquals(Set.of("0", "1", "2"), partitions);
    return landed;
  }
}
