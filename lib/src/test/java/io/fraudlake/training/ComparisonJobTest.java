package io.fraudlake.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code compare} on a generated silver table and the local registry: every detector FraudLake has. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComparisonJobTest {
  FraudLakeConfig config;
  Lakehouse lakehouse;
  ModelRegistry registry;

  @BeforeAll
  void generateSilver() {
    config = SharedSpark.freshConfig(TrainingEndToEndTest.SMALL_MODEL);
    lakehouse = SharedSpark.lakehouse(config);
    SilverFixture.writeSilver(lakehouse, 4_000, 0.04, 5);
    registry = new LocalModelRegistry(config);
  }

  private ComparisonJob job() {
    return new ComparisonJob(lakehouse, new ModelStore(registry, ModelSources.cacheDir(config)), Progress.silent());
  }

  @Test
  void logsOneChildRunPerDetectorAndRegistersTheBest() throws Exception {
    List<String> algorithms = Detectors.ALGORITHMS;
    ComparisonJob.Result result = job().run(TrainingSettings.fromConfig(config), algorithms, "pr_auc", "challenger", "prod");

    assertEquals(algorithms, result.entries().stream().map(ComparisonJob.Entry::algorithm).toList());
    ComparisonJob.Entry best = result.entries().stream().max(Comparator.comparingDouble(ComparisonJob.Entry::prAuc)).orElseThrow();
    assertEquals(best.algorithm(), result.best(), "the best by PR-AUC");
    RunInfo parent = registry.getRun(result.parentRunId());
    assertEquals(RunStatus.FINISHED, parent.status());
    assertEquals(String.join(",", algorithms), parent.params().get("algorithms"));
    assertEquals(best.runId(), parent.params().get("best_run_id"));
    assertEquals(best.prAuc(), parent.metrics().get("best_pr_auc"));
    for (ComparisonJob.Entry entry : result.entries()) {
      RunInfo child = registry.getRun(entry.runId());
      assertEquals(result.parentRunId(), child.tags().get(ComparisonJob.PARENT_RUN_TAG));
      assertEquals(entry.algorithm(), child.tags().get(ComparisonJob.ALGORITHM_TAG));
      assertEquals(entry.algorithm(), child.params().get("algorithm"));
      assertEquals(entry.rocAuc(), child.metrics().get("roc_auc"));
      assertTrue(child.metrics().get("fit_seconds") > 0);
      assertTrue(child.metrics().get("scoring_rows_per_second") > 0);
      assertEquals(entry.rocAuc(), parent.metrics().get(entry.algorithm() + "_roc_auc"));
      assertTrue(entry.rocAuc() > 0.6, entry.algorithm() + " ranks fraud above chance: " + entry.rocAuc());
    }
    for (var plot : result.plots()) {
      assertTrue(Files.size(plot) > 10_000, "a real PNG: " + plot);
    }
    String table = Files.readString(result.reportDir().resolve(ComparisonJob.TABLE_FILE));
    assertTrue(table.contains(result.best() + " *"), table);

    ModelVersionInfo version = registry.getModelVersionByAlias("fraud_isolation_forest", "challenger");
    assertEquals(result.version(), version.version());
    assertEquals(best.runId(), version.runId());
    assertEquals(List.of("challenger", "prod"), result.aliases(), "the model's first version also becomes prod");
    ScoringModel loaded = new ModelStore(registry, ModelSources.cacheDir(config)).load(version);
    assertEquals(8, loaded.signature().size());
  }

  @Test
  void anUnknownMetricOrAlgorithmIsOneLine() {
    TrainingSettings settings = TrainingSettings.fromConfig(config);
    FraudLakeException metric = assertThrows(FraudLakeException.class,
        () -> job().run(settings, List.of(Detectors.ISOLATION_FOREST), "accuracy", "challenger", "prod"));
    assertTrue(metric.getMessage().startsWith("unknown metric 'accuracy'; choose roc_auc, pr_auc"), metric.getMessage());
    FraudLakeException algorithm = assertThrows(FraudLakeException.class,
        () -> job().run(settings, List.of("svm"), "pr_auc", "challenger", "prod"));
    assertTrue(algorithm.getMessage().startsWith("unknown algorithm 'svm'; choose one of iforest"), algorithm.getMessage());
    assertThrows(FraudLakeException.class,
        () -> job().run(settings, List.of(Detectors.ISOLATION_FOREST, Detectors.ISOLATION_FOREST), "pr_auc", "c", "prod"));
  }
}
