package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.KafkaBroker;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** generate --to kafka, bronze --source kafka and score's alerts from the command line, against a real broker. */
class KafkaCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KafkaBroker broker = KafkaBroker.shared();

  private String[] kafka(String topic, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--set", "source.kafka.bootstrap-servers=\"" + broker.bootstrapServers() + "\"",
        "--set", "source.kafka.topic=" + topic));
    return all.toArray(String[]::new);
  }

  @Test
  void generatedEventsArePublishedKeyedByCardAtTheRateAskedAndBronzeIngestsThemAll() throws Exception {
    Path home = Files.createTempDirectory("fraudlake-cli-");
    broker.createTopic("generated", 3);
    long started = System.nanoTime();
    CliRun.Outcome generated = CliRun.run(home, kafka("generated", "generate", "--to", "kafka", "--rows", "300", "--cards", "9",
        "--seed", "5", "--start", "2024-03-10", "--rate", "500"));
    double seconds = (System.nanoTime() - started) / 1e9;
    assertEquals(0, generated.exit(), generated.err());
    assertTrue(generated.out().startsWith("generate: 300 rows"), generated.out());
    assertTrue(generated.out().contains("to Kafka topic generated at " + broker.bootstrapServers()), generated.out());
    assertTrue(seconds >= 0.55, "300 events at 500/s take 0.6 s, took " + seconds);

    List<ConsumerRecord<String, String>> records = consumeAll("generated", 300);
    Map<String, Integer> partitionOfCard = new HashMap<>();
    Map<String, Instant> lastTimeOfCard = new HashMap<>();
    for (ConsumerRecord<String, String> record : records) {
      JsonNode event = JSON.readTree(record.value());
      assertEquals(event.get("card_id").asText(), record.key(), "keyed by card_id");
      Integer earlier = partitionOfCard.putIfAbsent(record.key(), record.partition());
      assertTrue(earlier == null || earlier == record.partition(), "a card's events stay in one partition");
      JsonNode time = event.get("event_timestamp");
      Instant at = time.isNumber() ? Instant.ofEpochMilli(time.asLong()) : Instant.parse(time.asText());
      Instant last = lastTimeOfCard.put(record.key(), at);
      assertTrue(last == null || !at.isBefore(last), "a card's events in event-time order within its partition");
    }
    assertEquals(9, partitionOfCard.size());
    assertTrue(partitionOfCard.values().stream().distinct().count() > 1, "cards spread over partitions");

    CliRun.Outcome bronze = CliRun.run(home, kafka("generated", "bronze", "--once", "--source", "kafka"));
    assertEquals(0, bronze.exit(), bronze.err());
    assertTrue(bronze.out().contains("bronze: 300 rows written to bronze_transactions, 0 quarantined"), bronze.out());
    CliRun.Outcome again = CliRun.run(home, kafka("generated", "bronze", "--once", "--source", "kafka"));
    assertEquals(0, again.exit(), again.err());
    CliRun.Outcome sql = CliRun.run(home, "sql", "--format", "csv", "--query",
        "SELECT count(*) AS n, count(DISTINCT TransactionID) AS ids, min(source_file LIKE 'kafka://generated/%') AS traced"
            + " FROM bronze_transactions");
    assertEquals(0, sql.exit(), sql.err());
    assertEquals("n,ids,traced\n300,300,true\n", sql.out());
  }

  @Test
  void scorePublishesEveryAnomalyItWritesToGoldAsAnAlert() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilverCommits(lakehouse, "alert", 2, 150, ScoringFixtures.start());
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("3"), 3L);
    broker.createTopic("fraud-alerts", 2);

    CliRun.Outcome score = CliRun.run(config.home(), kafka("unused", "score", "--once", "--model-path", model.toString(),
        "--set", "alerts.kafka.topic=fraud-alerts"));
    assertEquals(0, score.exit(), score.err());
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);
    long anomalies = lakehouse.read(Tables.GOLD).where("is_anomaly").count();
    assertTrue(anomalies > 0, "the fixture model flags some rows");
    assertEquals(anomalies, GoldAssertions.assertAlertsAreGoldsAnomalies(lakehouse,
        broker.consume("fraud-alerts", (int) anomalies)));
  }

  @Test
  void badKafkaOptionsAreOneLineErrors() throws Exception {
    Path home = Files.createTempDirectory("fraudlake-cli-");
    assertOneLineError(CliRun.run(home, "bronze", "--once", "--source", "files"),
        "fraudlake bronze: error: --source must be landing or kafka, got \"files\"");
    assertOneLineError(CliRun.run(home, "bronze", "--once", "--source", "kafka"),
        "fraudlake bronze: error: fraudlake.source.kafka.bootstrap-servers is not set");
    assertOneLineError(CliRun.run(home, "generate", "--rows", "5", "--topic", "t"),
        "fraudlake generate: error: --topic and --rate go with --to kafka");
    assertOneLineError(CliRun.run(home, "generate", "--rows", "5", "--to", "kafka", "--topic", "t"),
        "fraudlake generate: error: fraudlake.source.kafka.bootstrap-servers is not set");
    assertOneLineError(CliRun.run(home, kafka("absent", "generate", "--rows", "5", "--to", "kafka",
            "--set", "source.kafka.options.\"kafka.max.block.ms\"=2000")),
        "fraudlake generate: error: cannot publish to Kafka topic absent at " + broker.bootstrapServers());
  }

  private static void assertOneLineError(CliRun.Outcome r, String expected) {
    assertEquals(1, r.exit(), r.err());
    String[] lines = r.err().strip().split("\\R");
    assertEquals(1, lines.length, r.err());
    assertTrue(lines[0].startsWith(expected), lines[0]);
  }

  private static List<ConsumerRecord<String, String>> consumeAll(String topic, int expected) {
    List<ConsumerRecord<String, String>> records = broker.consume(topic, expected);
    assertEquals(expected, records.size());
    return records;
  }
}
