package io.fraudlake.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.GoldAssertions;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** `run` as users run it: a separate JVM killed with SIGKILL mid-stream, then started again. */
class RunProcessTest {
  static final int FILES = 12;
  static final int EVENTS_PER_FILE = 50;
  private static final Instant T0 = Instant.parse("2024-06-01T12:00:00Z");

  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() {
    children.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
  }

  @Test
  void killedWithSigkillMidStreamThenRestartedNothingIsLostOrDoubled() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    for (int f = 0; f < FILES; f++) {
      Pipelines.land(lakehouse, String.format(Locale.ROOT, "run-%02d.jsonl", f), events(f));
    }
    Path model = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("model").resolve("3"), 3L);
    List<String> args = List.of("--model-path", model.toString(), "--trigger", "200ms",
        "--set", "landing.max-files-per-trigger=1");

    Path log = config.home().resolve("run-1.log");
    Process first = ForkedCli.launch("run", config.home(), log, Map.of(), args);
    children.add(first);
    // Creating gold is commit 0; let a few batches land in gold, then pull the plug mid-stream.
    ForkedCli.killOnceGoldHas(first, lakehouse, 4, log);
    long partial = lakehouse.read(Tables.GOLD).count();
    // The newest file's events wait for the watermark (lateness 2 s, files 10 s apart).
    long expected = (long) (FILES - 1) * EVENTS_PER_FILE;
    assertTrue(partial > 0 && partial < expected, "killed mid-stream, gold holds " + partial);

    Path log2 = config.home().resolve("run-2.log");
    Process second = ForkedCli.launch("run", config.home(), log2, Map.of(), args);
    children.add(second);
    ForkedCli.awaitGoldRows(second, lakehouse, expected, Duration.ofMinutes(5));
    // A stream that kept going would add more than expected: give it a moment, then stop it as Ctrl-C does.
    Thread.sleep(2_000);
    ForkedCli.stopWith("TERM", second, log2);

    assertEquals((long) FILES * EVENTS_PER_FILE, lakehouse.read(Tables.BRONZE).count(), "every landed line in bronze once");
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    assertEquals(expected, silver.count(), "silver:\n" + Files.readString(log2));
    assertEquals(expected, silver.select("TransactionID").distinct().count(), "no silver row doubled");
    GoldAssertions.assertExactlyOneGoldRowPerSilverRow(lakehouse);

    // And the features are those silver --batch computes from the same bronze.
    new SilverJob(lakehouse).runBatch("silver_check");
    Dataset<Row> batch = lakehouse.read("silver_check").join(silver.select("TransactionID"), "TransactionID")
        .drop("arrived_late");
    Dataset<Row> live = silver.drop("arrived_late").select(batch.columns()[0],
        java.util.Arrays.copyOfRange(batch.columns(), 1, batch.columns().length));
    assertEquals(0, batch.exceptAll(live).count(), "live silver equals batch silver");
  }

  /** The lines of landing file {@code file}: its events 10 s after the previous file's, on 7 cards. */
  static List<String> events(int file) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < EVENTS_PER_FILE; i++) {
      Instant at = T0.plusSeconds(10L * file).plusMillis(10L * i);
      lines.add(String.format(Locale.ROOT, "{\"TransactionID\":\"k-%02d-%02d\",\"event_timestamp\":\"%s\",\"card_id\":\"card-%d\","
          + "\"TransactionAmt\":%d.25,\"ProductCD\":\"%s\",\"card_country\":\"US\",\"merchant_country\":\"%s\"}",
          file, i, at, i % 7, 5 + (i * 37 + file * 11) % 400, i % 3 == 0 ? "W" : "C", i % 9 == 0 ? "GB" : "US"));
    }
    return lines;
  }
}
