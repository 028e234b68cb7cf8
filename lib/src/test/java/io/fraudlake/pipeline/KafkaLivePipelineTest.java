package io.fraudlake.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.KafkaPublisher;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.KafkaBroker;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;

/** The live pipeline (run) with a Kafka topic as its source, against a real broker. */
class KafkaLivePipelineTest {

  @Test
  void eventsPublishedToATopicComeOutScoredOnceAndARestartContinuesFromTheCheckpointsOffsets() throws Exception {
    try (KafkaBroker broker = KafkaBroker.start()) {
      broker.createTopic("live", 3);
      broker.createTopic("alerts", 2);
      FraudLakeConfig config = SharedSpark.freshConfig(Map.of(
          "source.kind", "kafka",
          "source.kafka.bootstrap-servers", broker.bootstrapServers(),
          "source.kafka.topic", "live",
          "source.kafka.max-offsets-per-trigger", "150",
          "alerts.kafka.topic", "alerts",
          "features.lateness", "1 second", "scoring.alias-check-interval", "0s"));
      Lakehouse lakehouse = SharedSpark.lakehouse(config);
      Path modelDir = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model"), 7);
      ProductionModel model = ProductionModel.load(ModelDirectorySource.of(modelDir, "fraud_isolation_forest"), Duration.ZERO);
      Instant start = Instant.now().minus(3, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);

      publish(broker, start, 1, 2);
      runAvailableNow(lakehouse, model);
      long silverFirst = lakehouse.read(Tables.SILVER).count();
      assertTrue(silverFirst > 0, "events behind the watermark reach silver");
      assertAccounted(lakehouse, 302, 2);
      GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);

      // Later events: the restart reads only them (offsets from the checkpoint) and moves the watermark on.
      publish(broker, start.plus(1, ChronoUnit.HOURS), 2, 1);
      runAvailableNow(lakehouse, model);
      assertTrue(lakehouse.read(Tables.SILVER).count() > silverFirst);
      assertAccounted(lakehouse, 603, 3);
      GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);

      // Every anomaly in gold is on the alerts topic, keyed by card, with its score and model (at
      // least once: a copy would carry the same TransactionID).
      long anomalies = lakehouse.read(Tables.GOLD).where("is_anomaly").count();
      assertTrue(anomalies > 0, "the fixture model flags some events");
      GoldAssertions.assertAlertsAreGoldsAnomalies(lakehouse, broker.consume("alerts", (int) anomalies));
    }
  }

  private static void runAvailableNow(Lakehouse lakehouse, ProductionModel model) {
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, ScoringStatus.silent(), Trigger.AvailableNow())) {
      pipeline.awaitTermination();
    }
  }

  /** 300 generated events of the hour from {@code start}, and {@code bad} lines that are not JSON. */
  private static void publish(KafkaBroker broker, Instant start, long seed, int bad) {
    GeneratorOptions options = new GeneratorOptions(300, 6, 0.035, start, Duration.ofHours(1), 2, seed, 1.0, 0.03, 0.1);
    try (KafkaPublisher publisher = new KafkaPublisher(broker.bootstrapServers(), "live", Map.of(), 0)) {
      new TransactionGenerator(options).publish(publisher);
      for (int i = 0; i < bad; i++) {
        publisher.accept("nobody", "not json " + seed + "-" + i);
      }
    }
  }

  /** Every record in exactly one of bronze and quarantine, each traced to its topic, partition and offset. */
  private static void assertAccounted(Lakehouse lakehouse, long records, long bad) {
    Dataset<Row> bronze = lakehouse.read(Tables.BRONZE);
    Dataset<Row> quarantine = lakehouse.read(Tables.QUARANTINE);
    Dataset<Row> sources = bronze.select("source_file").union(quarantine.select("source_file"));
    assertEquals(records, sources.count());
    assertEquals(records, sources.distinct().count(), "no record twice");
    assertEquals(0, sources.where("NOT source_file RLIKE '^kafka://live/[0-2]/[0-9]+$'").count());
    assertEquals(bad, quarantine.where("reason = 'not valid JSON'").count());
    List<String> raw = quarantine.select("raw").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertTrue(raw.stream().allMatch(r -> r.startsWith("not json")), raw.toString());
  }
}
