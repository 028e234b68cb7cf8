package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.LocalModelRegistry;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.GeneratedSilver;
import io.fraudlake.training.TrainingJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** The train, models and promote commands as a user runs them, in-process, on a small generated silver. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainPromoteModelsCliTest {
  Path home;

  @BeforeAll
  void silver() {
    home = SharedSpark.tempDir("cli-home");
    SharedSpark.session();
    GeneratedSilver.write(SharedSpark.lakehouse(FraudLakeConfig.defaults(home)), 3_000, 4);
  }

  private static void assertOneLineError(CliRun.Outcome outcome, String command, String start) {
    assertEquals(1, outcome.exit(), outcome.err());
    List<String> lines = outcome.err().lines().filter(l -> l.startsWith("fraudlake")).toList();
    assertEquals(1, lines.size(), outcome.err());
    assertTrue(lines.get(0).startsWith("fraudlake " + command + ": error: " + start), lines.get(0));
  }

  @Test
  @Order(1)
  void trainRegistersTheFirstVersionAsProdAndChallenger() {
    CliRun.Outcome first = CliRun.run(home, "train", "--trees", "30", "--samples", "128");
    assertEquals(0, first.exit(), first.err());
    for (String step : List.of("train: reading silver_transactions_base", "train: splitting by event time",
        "train: fitting", "train: scoring", "train: evaluating", "train: logging", "train: registering")) {
      assertTrue(first.out().contains(step), step + " in\n" + first.out());
    }
    assertTrue(first.out().contains("Registered fraud_isolation_forest version 1  @challenger @prod"), first.out());
    assertTrue(first.out().contains("ROC-AUC") && first.out().contains("roc_curve.png"), first.out());

    CliRun.Outcome second = CliRun.run(home, "train", "--trees", "30", "--samples", "128", "--seed", "9");
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("Registered fraud_isolation_forest version 2  @challenger\n"), second.out());
  }

  @Test
  @Order(2)
  void modelsListsVersionsAndShowsOne() {
    CliRun.Outcome list = CliRun.run(home, "models");
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().contains("fraud_isolation_forest   @challenger -> v2, @prod -> v1"), list.out());
    assertTrue(list.out().contains("roc_auc"), list.out());

    CliRun.Outcome show = CliRun.run(home, "models", "show", "models:/fraud_isolation_forest@prod");
    assertEquals(0, show.exit(), show.err());
    assertTrue(show.out().contains("models:/fraud_isolation_forest@prod = models:/fraud_isolation_forest/1"), show.out());
    assertTrue(show.out().contains("txn_count_5min") && show.out().contains("num_trees"), show.out());

    assertOneLineError(CliRun.run(home, "models", "show", "models:/fraud_isolation_forest"), "models show", "malformed model URI");
    assertOneLineError(CliRun.run(home, "models", "no_such_model"), "models", "no registered model named 'no_such_model'");
  }

  @Test
  @Order(3)
  void aTableWrittenByScoreBatchOutputIsQueryableByName() {
    CliRun.Outcome scored = CliRun.run(home, "score", "--batch", "--input", "silver_transactions_base", "--output", "scored_for_review");
    assertEquals(0, scored.exit(), scored.err());

    CliRun.Outcome query = CliRun.run(home, "sql", "--format", "csv", "--query",
        "SELECT count(*) AS n, count(DISTINCT TransactionID) AS ids FROM scored_for_review");
    assertEquals(0, query.exit(), query.err());
    long silverRows = SharedSpark.lakehouse(FraudLakeConfig.defaults(home)).read("silver_transactions_base").count();
    assertTrue(query.out().contains(silverRows + "," + silverRows), "every silver row scored once:\n" + query.out());
  }

  @Test
  @Order(4)
  void promoteRefusesBelowTheMinimumThenPromotes() {
    CliRun.Outcome refused = CliRun.run(home, "promote", "--from", "challenger", "--to", "prod", "--min-roc-auc", "0.999");
    assertOneLineError(refused, "promote", "promotion refused: challenger v2 ROC-AUC 0.");
    assertTrue(refused.err().contains("below the minimum 0.9990"), refused.err());

    CliRun.Outcome promoted = CliRun.run(home, "promote", "--min-roc-auc", "0.5", "--tolerance", "0.2");
    assertEquals(0, promoted.exit(), promoted.err());
    assertTrue(promoted.out().contains("fraud_isolation_forest @prod: version 1 -> version 2"), promoted.out());

    CliRun.Outcome forced = CliRun.run(home, "promote", "--from", "challenger", "--force");
    assertEquals(0, forced.exit(), forced.err());
    assertTrue(forced.out().contains("WARNING: --force"), forced.out());
  }

  @Test
  @Order(5)
  void badInputIsAOneLineError() {
    assertOneLineError(CliRun.run(home, "train", "--trees", "0"), "train", "the number of trees must be at least 1");
    assertOneLineError(CliRun.run(home, "train", "--train-until", "yesterday"), "train", "cannot read 'yesterday' as a time");
    assertOneLineError(CliRun.run(home, "promote", "--window", "soon"), "promote", "cannot read --window 'soon'");
    assertOneLineError(CliRun.run(home, "promote", "--from", "nosuch"), "promote", "");
    assertEquals(2, CliRun.run(home, "train", "--trees", "many").exit());
    assertOneLineError(CliRun.run(home, "train", "--algorithm", "svm"), "train", "unknown algorithm 'svm'; choose one of iforest");
    assertOneLineError(CliRun.run(home, "compare", "--metric", "accuracy"), "compare", "unknown metric 'accuracy'");
  }

  @Test
  @Order(6)
  void compareRegistersTheBestAsChallenger() {
    CliRun.Outcome compared = CliRun.run(home, "compare", "--metric", "roc_auc", "--set", "model.trees=30",
        "--set", "model.samples-per-tree=128");
    assertEquals(0, compared.exit(), compared.err());
    assertTrue(compared.out().contains("| algorithm"), compared.out());
    assertTrue(compared.out().contains("* best by roc_auc"), compared.out());
    assertTrue(compared.out().contains("Registered fraud_isolation_forest version 3"), compared.out());
    assertTrue(compared.out().contains("@challenger"), compared.out());
    CliRun.Outcome show = CliRun.run(home, "models", "show", "models:/fraud_isolation_forest@challenger");
    assertTrue(show.out().contains("models:/fraud_isolation_forest@challenger = models:/fraud_isolation_forest/3"), show.out());
    assertTrue(show.out().contains("algorithm"), show.out());
  }

  @Test
  @Order(7)
  void requireQualityRegistersNothingBelowAFloorAndPassesTheDefaultFloors() {
    // Version 3 is the latest (compare): a refused model must not become version 4.
    CliRun.Outcome refused = CliRun.run(home, "train", "--require-quality", "--set", "model.quality.min-pr-auc=0.99");
    assertOneLineError(refused, "train", "model quality below the floor: pr_auc 0.");
    assertTrue(refused.err().contains(" < 0.9900 (model.quality.min-pr-auc); fraud_isolation_forest was not registered"),
        refused.err());
    assertFalse(refused.err().contains("roc_auc"), "only the metric below its floor is named: " + refused.err());
    assertEquals(1, CliRun.run(home, "models", "show", "models:/fraud_isolation_forest/4").exit(), "no version 4");

    Matcher run = Pattern.compile("\\(run (\\w+) keeps the metrics\\)").matcher(refused.err());
    assertTrue(run.find(), refused.err());
    try (LocalModelRegistry registry = new LocalModelRegistry(FraudLakeConfig.defaults(home))) {
      RunInfo info = registry.getRun(run.group(1));
      assertEquals(RunStatus.FAILED, info.status());
      assertTrue(info.metrics().containsKey("pr_auc"), "the refused run keeps its metrics");
      assertTrue(info.tags().get(TrainingJob.QUALITY_TAG).startsWith("below: pr_auc"), String.valueOf(info.tags()));
    }

    // The default floors (model.quality) with the default model, as CI's model-quality stage runs it.
    CliRun.Outcome passed = CliRun.run(home, "train", "--require-quality");
    assertEquals(0, passed.exit(), passed.err());
    assertTrue(passed.out().contains("quality floors reached: roc_auc 0."), passed.out());
    assertTrue(passed.out().contains("Registered fraud_isolation_forest version 4  @challenger"), passed.out());
  }
}
