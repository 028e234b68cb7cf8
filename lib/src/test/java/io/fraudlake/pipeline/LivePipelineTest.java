package io.fraudlake.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class LivePipelineTest {
  @Test
  void anEventDroppedIntoLandingComesOutScoredInGold() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of(
        "run.trigger", "500 ms",
        "features.lateness", "1 second", "scoring.alias-check-interval", "0s"));
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    Path modelDir = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model"), 7);
    ProductionModel model = ProductionModel.load(ModelDirectorySource.of(modelDir, "fraud_isolation_forest"), Duration.ZERO);

    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, ScoringStatus.silent())) {
      assertEquals(List.of("run"),
          pipeline.queries().stream().map(q -> q.name()).toList());
      Instant t0 = Instant.now().minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);
      dropIntoLanding(config.landingDir(), "events-1.jsonl", List.of(
          event("live-1", t0, "card-a", 12.5),
          event("live-2", t0.plusSeconds(20), "card-a", 900.0),
          event("live-3", t0.plusSeconds(25), "card-b", 40.0),
          // The newest event holds the watermark back: it waits in silver, within the lateness.
          event("live-4", t0.plusSeconds(30), "card-b", 41.0)));

      List<Row> gold = awaitGoldRows(lakehouse, 3, Duration.ofSeconds(180));

      assertEquals(List.of("live-1", "live-2", "live-3"),
          gold.stream().map(r -> r.getString(0)).sorted().collect(Collectors.toList()));
      for (Row row : gold) {
        double score = row.getDouble(1);
        assertTrue(score > 0 && score <= 1, "score in (0, 1]: " + score);
        assertEquals("fraud_isolation_forest", row.getString(2));
      }
      assertFalse(pipeline.queries().stream().anyMatch(q -> q.exception().isDefined()));
    }
  }

  private static String event(String id, Instant at, String card, double amount) {
    return String.format(java.util.Locale.ROOT,
        "{\"TransactionID\":\"%s\",\"event_timestamp\":\"%s\",\"card_id\":\"%s\",\"TransactionAmt\":%s,"
            + "\"ProductCD\":\"W\",\"card_country\":\"US\",\"merchant_country\":\"US\"}", id, at, card, amount);
  }

  /** Written beside the folder's visible names and renamed in, as a producer should, so no half file is read. */
  private static void dropIntoLanding(Path landing, String name, List<String> lines) throws IOException {
    Files.createDirectories(landing);
    Path hidden = landing.resolve("." + name + ".tmp");
    Files.write(hidden, lines);
    Files.move(hidden, landing.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  private static List<Row> awaitGoldRows(Lakehouse lakehouse, int expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Row> rows = List.of();
    while (System.nanoTime() < deadline) {
      if (lakehouse.exists(Tables.GOLD)) {
        rows = lakehouse.read(Tables.GOLD).select("TransactionID", "fraud_score", "model_name").collectAsList();
        if (rows.size() >= expected) {
          return rows;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("gold held " + rows.size() + " of " + expected + " rows after " + timeout);
  }
}
