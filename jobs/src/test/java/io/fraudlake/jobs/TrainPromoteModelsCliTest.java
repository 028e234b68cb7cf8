package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.testing.SharedSpark;
import io.fraudlake.training.GeneratedSilver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  record Outcome(int exit, String out, String err) {}

  @BeforeAll
  void silver() {
    home = SharedSpark.tempDir("cli-home");
    SharedSpark.session();
    GeneratedSilver.write(SharedSpark.lakehouse(FraudLakeConfig.defaults(home)), 3_000, 4);
  }

  private Outcome run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    String projectDir = System.getProperty("fraudlake.project.dir", "..");
    all.addAll(List.of("--home", home.toString(), "--conf", Path.of(projectDir, "conf", "local.conf").toString(),
        // The test JVM's one SparkSession is shared: commands must not stop it.
        "--set", "spark.stop-on-exit=false"));
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = Main.run(all.toArray(String[]::new));
      return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      oldOut.print(out.toString(StandardCharsets.UTF_8));
      oldErr.print(err.toString(StandardCharsets.UTF_8));
    }
  }

  private static void assertOneLineError(Outcome outcome, String command, String start) {
    assertEquals(1, outcome.exit(), outcome.err());
    List<String> lines = outcome.err().lines().filter(l -> l.startsWith("fraudlake")).toList();
    assertEquals(1, lines.size(), outcome.err());
    assertTrue(lines.get(0).startsWith("fraudlake " + command + ": error: " + start), lines.get(0));
  }

  @Test
  @Order(1)
  void trainRegistersTheFirstVersionAsProdAndChallenger() {
    Outcome first = run("train", "--trees", "30", "--samples", "128");
    assertEquals(0, first.exit(), first.err());
    for (String step : List.of("train: reading silver_transactions_base", "train: splitting by event time",
        "train: fitting", "train: scoring", "train: evaluating", "train: logging", "train: registering")) {
      assertTrue(first.out().contains(step), step + " in\n" + first.out());
    }
    assertTrue(first.out().contains("Registered fraud_isolation_forest version 1  @challenger @prod"), first.out());
    assertTrue(first.out().contains("ROC-AUC") && first.out().contains("roc_curve.png"), first.out());

    Outcome second = run("train", "--trees", "30", "--samples", "128", "--seed", "9");
    assertEquals(0, second.exit(), second.err());
    assertTrue(second.out().contains("Registered fraud_isolation_forest version 2  @challenger\n"), second.out());
  }

  @Test
  @Order(2)
  void modelsListsVersionsAndShowsOne() {
    Outcome list = run("models");
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().contains("fraud_isolation_forest   @challenger -> v2, @prod -> v1"), list.out());
    assertTrue(list.out().contains("roc_auc"), list.out());

    Outcome show = run("models", "show", "models:/fraud_isolation_forest@prod");
    assertEquals(0, show.exit(), show.err());
    assertTrue(show.out().contains("models:/fraud_isolation_forest@prod = models:/fraud_isolation_forest/1"), show.out());
    assertTrue(show.out().contains("txn_count_5min") && show.out().contains("num_trees"), show.out());

    assertOneLineError(run("models", "show", "models:/fraud_isolation_forest"), "models show", "malformed model URI");
    assertOneLineError(run("models", "no_such_model"), "models", "no registered model named 'no_such_model'");
  }

  @Test
  @Order(3)
  void promoteRefusesBelowTheMinimumThenPromotes() {
    Outcome refused = run("promote", "--from", "challenger", "--to", "prod", "--min-roc-auc", "0.999");
    assertOneLineError(refused, "promote", "promotion refused: challenger v2 ROC-AUC 0.");
    assertTrue(refused.err().contains("below the minimum 0.9990"), refused.err());

    Outcome promoted = run("promote", "--min-roc-auc", "0.5", "--tolerance", "0.2");
    assertEquals(0, promoted.exit(), promoted.err());
    assertTrue(promoted.out().contains("fraud_isolation_forest @prod: version 1 -> version 2"), promoted.out());

    Outcome forced = run("promote", "--from", "challenger", "--force");
    assertEquals(0, forced.exit(), forced.err());
    assertTrue(forced.out().contains("WARNING: --force"), forced.out());
  }

  @Test
  @Order(4)
  void badInputIsAOneLineError() {
    assertOneLineError(run("train", "--trees", "0"), "train", "the number of trees must be at least 1");
    assertOneLineError(run("train", "--train-until", "yesterday"), "train", "cannot read 'yesterday' as a time");
    assertOneLineError(run("promote", "--window", "soon"), "promote", "cannot read --window 'soon'");
    assertOneLineError(run("promote", "--from", "nosuch"), "promote", "");
    assertEquals(2, run("train", "--trees", "many").exit());
  }
}
