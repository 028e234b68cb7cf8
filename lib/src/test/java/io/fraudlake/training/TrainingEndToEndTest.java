package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.SignatureCheck;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * train → v1 (@prod, @challenger) → train again → v2 (@challenger) → promote through the gate →
 * a refused promotion, on a generated silver table and the local registry. (The command-line test
 * runs the same cycle on silver made by the generator, bronze and silver jobs.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainingEndToEndTest {
  static final Map<String, String> SMALL_MODEL = Map.of("model.trees", "40", "model.samples-per-tree", "128");

  FraudLakeConfig config;
  Lakehouse lakehouse;
  ModelRegistry registry;
  TrainingResult first;
  TrainingResult second;

  @BeforeAll
  void generateSilver() {
    config = SharedSpark.freshConfig(SMALL_MODEL);
    lakehouse = SharedSpark.lakehouse(config);
    SilverFixture.writeSilver(lakehouse, 4_000, 0.04, 3);
    registry = new LocalModelRegistry(config);
  }

  private ModelStore models() {
    return new ModelStore(registry, ModelSources.cacheDir(config));
  }

  private TrainingJob job() {
    return new TrainingJob(lakehouse, models(), Progress.silent());
  }

  @Test
  @Order(1)
  void theFirstVersionBecomesProdAndChallenger() throws Exception {
    first = job().run(TrainingSettings.fromConfig(config), "challenger", "prod");

    assertEquals(1, first.version());
    assertEquals(List.of("challenger", "prod"), first.aliases());
    assertEquals(1, registry.getModelVersionByAlias("fraud_isolation_forest", "prod").version());
    assertTrue(first.metrics().get("roc_auc") > 0.7, "most fixture fraud is separable: " + first.metrics());

    RunInfo run = registry.getRun(first.runId());
    assertEquals(RunStatus.FINISHED, run.status());
    assertEquals("40", run.params().get("num_trees"));
    assertEquals("128", run.params().get("max_samples"));
    assertEquals("0.035", run.params().get("contamination"));
    assertEquals("42", run.params().get("seed"));
    assertEquals("0.8", run.params().get("train_fraction"));
    for (String key : List.of("train_rows", "train_start", "train_end", "eval_rows", "eval_start", "eval_end", "split_cutoff")) {
      assertTrue(run.params().containsKey(key), key);
    }
    assertTrue(run.params().get("train_end").compareTo(run.params().get("eval_start")) < 0, "train ends before evaluation starts");
    for (String key : List.of("roc_auc", "pr_auc", "precision_at_threshold", "recall_at_threshold", "alert_rate",
        "threshold", "train_rows", "eval_rows", "fit_seconds")) {
      assertTrue(run.metrics().containsKey(key), key);
    }
    assertEquals(first.metrics().get("train_rows") + first.metrics().get("eval_rows"),
        (double) lakehouse.read(Tables.SILVER).count());

    Path artifacts = registry.downloadRunArtifacts(first.runId(), "", SharedSpark.tempDir("artifacts"));
    for (String file : List.of("evaluation/roc_curve.png", "evaluation/precision_recall_curve.png",
        "evaluation/score_histogram.png", "evaluation/evaluation_report.json", "model/MLmodel",
        "model/input_example.json", "model/" + FeatureReference.FILE_NAME)) {
      assertTrue(Files.isRegularFile(artifacts.resolve(file)), file);
    }
    assertTrue(Files.isDirectory(artifacts.resolve("model/sparkml")));
    assertTrue(Files.isRegularFile(first.reportDir().resolve("roc_curve.png")), "plots are kept locally too");
    assertEquals(config.reportsDir().resolve(first.runId()), first.reportDir());

    FeatureReference reference = FeatureReference.read(artifacts.resolve("model/" + FeatureReference.FILE_NAME));
    assertEquals(first.train().rows(), reference.rows(), "the reference describes the training rows");
  }

  @Test
  @Order(2)
  void theLoadedModelCarriesItsSignatureAndScoresSilver() {
    ScoringModel model = models().load("models:/fraud_isolation_forest@prod");
    assertEquals("1", model.version());
    assertEquals(ModelFeatures.NAMES, model.featureColumns());
    SignatureCheck.require(lakehouse.read(Tables.SILVER).schema(), Tables.SILVER, model);
    assertEquals(lakehouse.read(Tables.SILVER).count(),
        model.transformer().transform(lakehouse.read(Tables.SILVER)).where("fraud_score > 0").count());
  }

  @Test
  @Order(3)
  void aSecondVersionIsOnlyTheChallenger() {
    second = job().run(TrainingSettings.fromConfig(config.with(Map.of("model.seed", "7"))), "challenger", "prod");
    assertEquals(2, second.version());
    assertEquals(List.of("challenger"), second.aliases());
    assertEquals(1, registry.getModelVersionByAlias("fraud_isolation_forest", "prod").version());
    assertEquals(2, registry.getModelVersionByAlias("fraud_isolation_forest", "challenger").version());
  }

  @Test
  @Order(4)
  void aGateFailureNamesTheNumbersAndLeavesProdWhereItIs() {
    PromotionJob promotion = new PromotionJob(lakehouse, models(), Progress.silent());
    FraudLakeException refused = assertThrows(FraudLakeException.class, () -> promotion.promote("fraud_isolation_forest",
        "challenger", "prod", new PromotionGate(0.999, 0.005), PromotionJob.EvaluationWindow.afterTrainFraction(0.8), false));
    assertTrue(refused.getMessage().matches("promotion refused: challenger v2 ROC-AUC 0\\.\\d{4} is below the minimum 0\\.9990 .*"),
        refused.getMessage());
    assertFalse(refused.getMessage().contains("\n"));
    assertEquals(1, registry.getModelVersionByAlias("fraud_isolation_forest", "prod").version());
  }

  @Test
  @Order(5)
  void promotionThroughTheGateMovesProd() {
    PromotionJob promotion = new PromotionJob(lakehouse, models(), Progress.silent());
    // A generous tolerance: two seeds of the same forest may differ by a little on a small window.
    PromotionJob.Result result = promotion.promote("fraud_isolation_forest", "challenger", "prod",
        new PromotionGate(0.6, 0.2), PromotionJob.EvaluationWindow.last(Duration.ofMinutes(15)), false);
    assertTrue(result.changed());
    assertEquals(1L, result.previous());
    assertEquals(2L, result.promoted());
    assertTrue(result.reason().contains("prod v1 ROC-AUC"), result.reason());
    assertEquals(2, registry.getModelVersionByAlias("fraud_isolation_forest", "prod").version());

    PromotionJob.Result again = promotion.promote("fraud_isolation_forest", "challenger", "prod",
        new PromotionGate(0.6, 0.2), PromotionJob.EvaluationWindow.last(Duration.ofMinutes(15)), false);
    assertFalse(again.changed(), "promoting the version that is already prod changes nothing");
  }

  @Test
  @Order(6)
  void forceSkipsTheGateAndAMissingAliasIsAClearError() {
    PromotionJob promotion = new PromotionJob(lakehouse, models(), Progress.silent());
    registry.setAlias("fraud_isolation_forest", "challenger", 1);
    PromotionJob.Result forced = promotion.promote("fraud_isolation_forest", "challenger", "prod",
        new PromotionGate(0.999, 0.0), PromotionJob.EvaluationWindow.afterTrainFraction(0.8), true);
    assertEquals(1L, forced.promoted());
    assertTrue(forced.reason().contains("SKIPPED"));

    FraudLakeException missing = assertThrows(FraudLakeException.class, () -> promotion.promote("fraud_isolation_forest",
        "nosuchalias", "prod", new PromotionGate(0.5, 0.0), PromotionJob.EvaluationWindow.afterTrainFraction(0.8), false));
    assertTrue(missing.getMessage().contains("nosuchalias"), missing.getMessage());
  }

  @Test
  @Order(7)
  void theCatalogListsVersionsWithAliasesAndMetrics() {
    List<String> lines = new ModelCatalog(registry).list(null);
    String text = String.join("\n", lines);
    assertTrue(lines.get(0).startsWith("fraud_isolation_forest"), text);
    assertTrue(text.contains("@challenger -> v1") && text.contains("@prod -> v1"), text);
    assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith("2 ") && l.contains(second.runId())), text);

    String shown = String.join("\n", new ModelCatalog(registry).show("models:/fraud_isolation_forest/2", models()));
    assertTrue(shown.contains("signature  (8 inputs -> 2 outputs)"), shown);
    assertTrue(shown.contains("is_high_value_txn") && shown.contains("integer"), shown);
    assertTrue(shown.contains("num_trees") && shown.contains("roc_auc"), shown);
    assertTrue(shown.contains(second.runId()), shown);
  }

  @Test
  @Order(8)
  void aSplitWithNothingToEvaluateIsRefusedBeforeARunStarts() {
    // Nothing after the cutoff: the split refuses before a run is opened, so no run is left behind.
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> job().run(
        TrainingSettings.fromConfig(config).withTrainUntil(java.time.Instant.parse("2030-01-01T00:00:00Z")), "challenger", "prod"));
    assertTrue(e.getMessage().startsWith("no silver rows from 2030-01-01T00:00:00Z on to evaluate with"), e.getMessage());
  }
}
