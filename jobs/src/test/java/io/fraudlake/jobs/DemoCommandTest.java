package io.fraudlake.jobs;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** {@code demo} in-process at a small size: every figure of its report must match the tables it leaves. */
class DemoCommandTest {
  private static long figure(String report, String label) {
    Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(label) + " +([0-9,]+)$").matcher(report);
    assertTrue(m.find(), label + " in\n" + report);
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  @Test
  void reportAgreesWithTheTables() {
    SharedSpark.session();
    Path home = SharedSpark.tempDir("demo-cli");
    String[] demo = {"demo", "--rows", "4000", "--days", "1", "--seed", "7", "--set", "model.trees=20"};
    CliRun.Outcome outcome = CliRun.run(home, demo);
    assertEquals(0, outcome.exit(), outcome.err());
    String report = outcome.out();
    for (int stage = 1; stage <= 5; stage++) {
      assertTrue(report.contains("[" + stage + "/5] "), "stage " + stage + " in\n" + report);
    }

    Path demoHome = home.resolve("demo").toAbsolutePath();
    Lakehouse lakehouse = SharedSpark.lakehouse(FraudLakeConfig.defaults(demoHome));
    long landed = lakehouse.spark().read().text(demoHome.resolve("landing").toString()).count();
    Dataset<Row> gold = lakehouse.read(Tables.GOLD);
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);

    assertEquals(4000, landed);
    assertEquals(landed, figure(report, "landed (JSON lines)"));
    assertEquals(landed, figure(report, "bronze_transactions") + figure(report, "bronze_quarantine"));
    assertEquals(lakehouse.read(Tables.BRONZE).count(), figure(report, "bronze_transactions"));
    assertEquals(silver.count(), figure(report, "silver_transactions_base"));
    assertEquals(silver.count(), figure(report, "fraud_predictions (gold)"));
    assertEquals(gold.count(), figure(report, "fraud_predictions (gold)"));

    long alerts = gold.where(col("is_anomaly")).count();
    long trueAlerts = gold.where(col("is_anomaly")).join(silver.where(col("isFraud").equalTo(1)), "TransactionID").count();
    assertTrue(alerts > 0 && trueAlerts > 0, report);
    assertTrue(report.contains(String.format("  %,d alerts, %,d of them real fraud", alerts, trueAlerts)), report);

    List<String> expectedTop = gold.orderBy(col("fraud_score").desc(), col("TransactionID")).limit(10)
        .select("TransactionID").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    List<String> topLines = report.lines().dropWhile(l -> !l.startsWith("Top 10")).skip(2).limit(10).toList();
    assertEquals(expectedTop, topLines.stream().map(l -> l.strip().split(" +")[0]).toList(), report);
    List<Double> scores = topLines.stream().map(l -> Double.parseDouble(l.strip().split(" +")[5])).toList();
    for (int i = 1; i < scores.size(); i++) {
      assertTrue(scores.get(i - 1) >= scores.get(i), "top 10 by score, descending:\n" + report);
    }

    assertTrue(report.contains("models:/fraud_isolation_forest@prod = models:/fraud_isolation_forest/1"), report);
    CliRun.Outcome show = CliRun.run(demoHome, "models", "show", "models:/fraud_isolation_forest@prod");
    assertEquals(0, show.exit(), show.err());
    assertTrue(show.out().contains("models:/fraud_isolation_forest@prod = models:/fraud_isolation_forest/1"), show.out());
    assertTrue(Files.exists(demoHome.resolve("reports")) && report.contains("roc_curve.png"), report);

    CliRun.Outcome sql = CliRun.run(demoHome, "sql", "--format", "csv", "--query", "SELECT count(*) AS n FROM fraud_predictions WHERE is_anomaly");
    assertEquals(0, sql.exit(), sql.err());
    assertTrue(sql.out().contains(Long.toString(alerts)), sql.out());
  }

  @Test
  void aFolderTheDemoDidNotMakeIsLeftAlone() throws IOException {
    Path home = SharedSpark.tempDir("demo-guard");
    Path keep = Files.createDirectories(home.resolve("demo")).resolve("keep.txt");
    Files.writeString(keep, "mine");
    CliRun.Outcome refused = CliRun.run(home, "demo", "--rows", "100");
    assertEquals(1, refused.exit(), refused.err());
    assertTrue(refused.err().strip().startsWith("fraudlake demo: error: ") && refused.err().contains("--fresh"), refused.err());
    assertTrue(Files.exists(keep));
  }
}
