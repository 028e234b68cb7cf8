package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code simulate-drift} as a user types it, small: the table, the named trigger batch and the files. */
class SimulateDriftCommandTest {
  @Test
  void namesTheTriggerBatchAndWritesTheReport() throws IOException {
    SharedSpark.session();
    Path home = SharedSpark.tempDir("simulate-drift-cli");
    CliRun.Outcome outcome = CliRun.run(home, "simulate-drift", "--batches", "5", "--rows-per-batch", "600",
        "--seed", "3", "--set", "model.trees=15");
    assertEquals(0, outcome.exit(), outcome.err());
    String out = outcome.out();
    Matcher trigger = Pattern.compile("Retraining would have been triggered at batch (\\d+) \\(").matcher(out);
    assertTrue(trigger.find(), out);
    int batch = Integer.parseInt(trigger.group(1));
    assertTrue(out.contains("Retraining trigger: any feature's PSI >= 0.200"), out);

    Path reports = home.resolve("reports/simulate-drift");
    List<Path> runs;
    try (Stream<Path> dirs = Files.list(reports)) {
      runs = dirs.toList();
    }
    assertEquals(1, runs.size());
    assertTrue(Files.size(runs.get(0).resolve("drift_simulation.png")) > 10_000);
    JsonNode json = new ObjectMapper().readTree(runs.get(0).resolve("drift_simulation.json").toFile());
    JsonNode perBatch = json.get("per_batch");
    assertEquals(5, perBatch.size());
    assertEquals(batch, json.get("trigger_batch").asInt());
    JsonNode first = perBatch.get(0).get("psi");
    JsonNode triggered = perBatch.get(batch - 1).get("psi");
    for (String feature : new String[] {"TransactionAmt", "is_international_txn"}) {
      assertTrue(triggered.get(feature).asDouble() > first.get(feature).asDouble(), feature + " drifts: " + json);
    }
    assertEquals(6, Files.readAllLines(runs.get(0).resolve("drift_simulation.csv")).size());
  }

  @Test
  void badOptionsAreOneLine() {
    Path home = SharedSpark.tempDir("simulate-drift-bad");
    CliRun.Outcome few = CliRun.run(home, "simulate-drift", "--batches", "1");
    assertEquals(1, few.exit());
    assertEquals("fraudlake simulate-drift: error: --batches must be at least 2, got 1", few.err().strip());
    CliRun.Outcome small = CliRun.run(home, "simulate-drift", "--rows-per-batch", "100");
    assertEquals(1, small.exit());
    assertTrue(small.err().strip().endsWith("--rows-per-batch must be at least monitoring.min-drift-rows (500): PSI on "
        + "fewer rows is noise, got 100"), small.err());
  }
}
