package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EvaluateCommandTest {
  private static String mammography;
  private static String[] common;

  @BeforeAll
  static void setUp() {
    // The command reuses the already running test session and must not stop it.
    SharedSpark.session();
    mammography = SharedSpark.oddsFile("mammography").toString();
    Path project = Path.of(System.getProperty("fraudlake.project.dir", ".."));
    common = new String[] {"--conf", project.resolve("conf/local.conf").toString(),
        "--home", SharedSpark.tempDir("evaluate-home").toString(), "--set", "spark.stop-on-exit=false"};
  }

  private static String[] args(String... specific) {
    String[] all = new String[specific.length + common.length];
    System.arraycopy(specific, 0, all, 0, specific.length);
    System.arraycopy(common, 0, all, specific.length, common.length);
    return all;
  }

  @Test
  void evaluatesMammographyAndWritesJson() throws Exception {
    Path json = SharedSpark.tempDir("evaluate").resolve("result.json");
    int exit = Main.run(args("evaluate", "--input", mammography, "--label", "_c6", "--trees", "100",
        "--repeats", "2", "--json", json.toString()));
    assertEquals(0, exit);
    JsonNode result = new ObjectMapper().readTree(json.toFile());
    for (String key : new String[] {"auroc", "auroc_std", "auprc", "auprc_std", "train_seconds",
        "score_rows_per_second", "rows", "features", "trees", "samples", "repeats", "runs"}) {
      assertTrue(result.has(key), "missing " + key + " in " + result);
    }
    assertEquals(11183, result.get("rows").asLong());
    assertEquals(6, result.get("features").size());
    assertEquals(2, result.get("repeats").asInt());
    assertTrue(result.get("auroc").asDouble() > 0.8 && result.get("auroc").asDouble() < 0.92, result.toString());
    assertTrue(result.get("auprc").asDouble() > 0.1 && result.get("auprc").asDouble() < 0.4, result.toString());
    assertTrue(result.get("train_seconds").asDouble() > 0);
    assertTrue(result.get("score_rows_per_second").asDouble() > 1000);
    assertEquals(1, result.get("runs").get(0).get("seed").asInt());
    assertEquals(2, result.get("runs").get(1).get("seed").asInt());
  }

  @Test
  void badInputFailsWithOneLine() {
    PrintStream originalErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int unknownLabel;
    int missingFile;
    try {
      unknownLabel = Main.run(args("evaluate", "--input", mammography, "--label", "label"));
      missingFile = Main.run(args("evaluate", "--input", "/nonexistent/data.csv", "--label", "_c6"));
    } finally {
      System.setErr(originalErr);
    }
    String errors = captured.toString(StandardCharsets.UTF_8);
    assertEquals(1, unknownLabel);
    assertEquals(1, missingFile);
    assertTrue(errors.contains("fraudlake evaluate: error: label column 'label' not found; columns are _c0"), errors);
    assertTrue(errors.contains("fraudlake evaluate: error: input not found: /nonexistent/data.csv"), errors);
  }
}
