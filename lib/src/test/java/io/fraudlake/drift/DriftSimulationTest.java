package io.fraudlake.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A small drift simulation with retraining, on real Spark, through the real bronze, silver, training and registry. */
class DriftSimulationTest {
  private static final int BATCHES = 6;

  @Test
  void driftTriggersARetrainThatRecoversTheMetrics() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("model.trees", "25"));
    DriftReport report;
    try (ModelRegistry registry = new LocalModelRegistry(config)) {
      DriftSimulation simulation = new DriftSimulation(SharedSpark.session(), config, registry,
          System.out,
          Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
      report = simulation.run(new DriftSimulationOptions(BATCHES, 1_500, 11, true, 2, "drift_test_model"));
      System.out.println(report.render());

      assertEquals(BATCHES, report.batches().size());
      BatchOutcome first = report.batches().get(0);
      BatchOutcome trigger = report.batches().get(report.triggerBatch().orElseThrow() - 1);
      assertTrue(trigger.batch() > 1, "batch 1 barely drifts and must not trigger");
      for (String feature : new String[] {"TransactionAmt", "is_international_txn"}) {
        assertTrue(trigger.psi().get(feature) > first.psi().get(feature) + 0.05,
            feature + " PSI rises from batch 1 to the trigger: " + first.psi() + " -> " + trigger.psi());
      }

      RetrainOutcome retrain = trigger.retrain();
      assertNotNull(retrain, "the trigger batch retrains");
      assertTrue(retrain.promoted(), retrain.reason());
      assertEquals(1, Long.parseLong(first.prod().version()), "the reference model is the first version");
      assertTrue(retrain.challengerVersion() > 1, "the challenger is a new version");
      long lastPromoted = report.retrains().stream().filter(RetrainOutcome::promoted)
          .mapToLong(RetrainOutcome::challengerVersion).max().orElseThrow();
      assertEquals(lastPromoted, registry.getModelVersionByAlias("drift_test_model", "prod").version(),
          "@prod moved to the promoted challenger");

      DriftReport.Recovery pr = report.recovery(ModelFigures::prAuc).orElseThrow();
      DriftReport.Recovery alerts = report.recovery(ModelFigures::alertRate).orElseThrow();
      assertTrue(pr.withRetraining() > pr.withoutRetraining(), "PR-AUC after the retrain " + pr);
      assertTrue(alerts.withRetraining() < alerts.withoutRetraining(), "alert rate after the retrain " + alerts);
    }

    assertTrue(report.reportDir().startsWith(config.reportsDir().resolve("simulate-drift")));
    assertTrue(report.reportDir().endsWith("20260102-030405"));
    assertTrue(Files.size(report.plotFile()) > 10_000, "the PNG is written");
    JsonNode json = new ObjectMapper().readTree(report.jsonFile().toFile());
    assertEquals(BATCHES, json.get("per_batch").size());
    assertEquals(report.triggerBatch().getAsInt(), json.get("trigger_batch").asInt());
    assertEquals(BATCHES + 1, Files.readAllLines(report.csvFile()).size());
    assertTrue(report.render().contains("Drift triggered retraining at batch " + report.triggerBatch().getAsInt()));
  }
}
