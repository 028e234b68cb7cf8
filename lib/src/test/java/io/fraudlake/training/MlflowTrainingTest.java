package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.registry.testing.InProcessMlflowServer;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same train → register → promote cycle against an MLflow server (the strict in-process fake):
 * everything goes over MLflow's REST API, artifacts through the server's artifact proxy.
 */
class MlflowTrainingTest {

  @Test
  void trainsLogsRegistersAndPromotesThroughMlflow() {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("model.trees", "30", "model.samples-per-tree", "128"));
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    SilverFixture.writeSilver(lakehouse, 3_000, 0.04, 21);
    try (InProcessMlflowServer server = InProcessMlflowServer.start("test-token");
        ModelRegistry registry = ModelRegistries.fromEnvironment(config,
            Map.of("MLFLOW_TRACKING_URI", server.url(), "MLFLOW_TRACKING_TOKEN", "test-token"))) {
      assertTrue(registry.describe().contains(server.url()), registry.describe());
      TrainingJob job = new TrainingJob(lakehouse, new ModelStore(registry, SharedSpark.tempDir("cache")),
          Progress.to(System.out, "mlflow-train"));

      TrainingResult first = job.run(TrainingSettings.fromConfig(config), "challenger", "prod");
      assertEquals(1, first.version());
      assertEquals(List.of("challenger", "prod"), first.aliases());

      RunInfo run = registry.getRun(first.runId());
      assertEquals(RunStatus.FINISHED, run.status());
      assertEquals("30", run.params().get("num_trees"));
      assertTrue(run.metrics().get("roc_auc") > 0.7, run.metrics().toString());
      assertTrue(run.params().containsKey("train_start") && run.params().containsKey("eval_end"));

      List<String> uploaded = server.artifactPaths();
      for (String file : List.of("evaluation/roc_curve.png", "evaluation/precision_recall_curve.png",
          "evaluation/score_histogram.png", "model/MLmodel", "model/input_example.json",
          "model/" + FeatureReference.FILE_NAME)) {
        assertTrue(uploaded.stream().anyMatch(p -> p.endsWith(first.runId() + "/artifacts/" + file) || p.endsWith("/" + file)),
            file + " uploaded through the artifact proxy: " + uploaded);
      }
      assertTrue(uploaded.stream().anyMatch(p -> p.contains("model/sparkml/")), "the Spark model is uploaded");

      TrainingResult second = job.run(TrainingSettings.fromConfig(config.with(Map.of("model.seed", "5"))), "challenger", "prod");
      assertEquals(2, second.version());
      assertEquals(List.of("challenger"), second.aliases());

      ModelStore models = new ModelStore(registry, SharedSpark.tempDir("cache"));
      ScoringModel loaded = models.load("models:/fraud_isolation_forest@challenger");
      assertEquals("2", loaded.version());
      assertEquals(ModelFeatures.NAMES, loaded.featureColumns());

      PromotionJob promotion = new PromotionJob(lakehouse, models, Progress.silent());
      FraudLakeException refused = assertThrows(FraudLakeException.class, () -> promotion.promote(
          "fraud_isolation_forest", "challenger", "prod", new PromotionGate(0.999, 0.005),
          PromotionJob.EvaluationWindow.afterTrainFraction(0.8), false));
      assertTrue(refused.getMessage().contains("below the minimum 0.9990"), refused.getMessage());

      PromotionJob.Result promoted = promotion.promote("fraud_isolation_forest", "challenger", "prod",
          new PromotionGate(0.6, 0.2), PromotionJob.EvaluationWindow.afterTrainFraction(0.8), false);
      assertEquals(2L, promoted.promoted());
      assertEquals(2, registry.getModelVersionByAlias("fraud_isolation_forest", "prod").version());
      assertTrue(server.authorizationHeaders().stream().allMatch("Bearer test-token"::equals));
    }
  }
}
