package io.fraudlake.bronze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BronzeJobTest {
  private static final String GOOD = "{\"TransactionID\":\"g-%d\",\"event_timestamp\":\"2024-03-10T08:00:0%dZ\","
      + "\"card_id\":\"c\",\"TransactionAmt\":1.5,\"ProductCD\":\"W\"}";

  @Test
  void aBatchWithoutBadLinesCommitsNothingToQuarantineAndBadLinesStillArrive() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("landing.max-files-per-trigger", "1")));
    Pipelines.land(lakehouse, "good.jsonl", List.of(String.format(GOOD, 1, 1), String.format(GOOD, 2, 2)));
    BronzeStats first = Pipelines.bronzeOnce(lakehouse);

    assertEquals(2, first.written());
    assertEquals(0, first.quarantined());
    // Only the CREATE TABLE commit: an empty append would add a commit per micro-batch.
    assertEquals(1, lakehouse.deltaTable(Tables.QUARANTINE).history().count());

    Pipelines.land(lakehouse, "mixed.jsonl", List.of(String.format(GOOD, 3, 3), "not json"));
    BronzeStats second = Pipelines.bronzeOnce(lakehouse);

    assertEquals(1, second.written());
    assertEquals(Map.of("not valid JSON", 1L), second.reasons());
    assertEquals(3, lakehouse.read(Tables.BRONZE).count());
    assertEquals(List.of("not json"), lakehouse.read(Tables.QUARANTINE).select("raw").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList());
  }

  @Test
  void archivedLandingFilesLeaveLandingOnceReadAndAreNotReadAgain() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("landing.clean-source", "archive",
        "landing.max-files-per-trigger", "1")));
    Pipelines.land(lakehouse, "first.jsonl", List.of(String.format(GOOD, 1, 1), String.format(GOOD, 2, 2)));
    Pipelines.land(lakehouse, "second.jsonl", List.of(String.format(GOOD, 3, 3), "not json"));
    Pipelines.land(lakehouse, "third.jsonl", List.of(String.format(GOOD, 4, 4)));
    Pipelines.bronzeOnce(lakehouse);

    // Spark moves a micro-batch's files on a thread of its own once the batch has committed; those
    // of the last batch the stream ran wait in landing (read) until it runs another.
    Path archive = lakehouse.config().landingArchiveDir();
    awaitFiles(archive, List.of("first.jsonl", "second.jsonl"));
    assertEquals(List.of("third.jsonl"), jsonFiles(lakehouse.config().landingDir()));

    Pipelines.land(lakehouse, "fourth.jsonl", List.of(String.format(GOOD, 5, 5)));
    BronzeStats next = Pipelines.bronzeOnce(lakehouse);

    assertEquals(1, next.written());
    awaitFiles(archive, List.of("first.jsonl", "second.jsonl", "third.jsonl"));
    assertEquals(5, lakehouse.read(Tables.BRONZE).count());
    assertEquals(1, lakehouse.read(Tables.QUARANTINE).count());
  }

  @Test
  void anUnknownCleanModeOrAnArchiveInsideLandingIsAOneLineError() {
    Lakehouse unknown = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("landing.clean-source", "move")));
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> BronzeJob.landingLines(unknown));
    assertEquals("fraudlake.landing.clean-source must be off, archive or delete, got \"move\"", e.getMessage());

    Lakehouse inside = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("landing.clean-source", "archive",
        "landing.archive-dir", "landing/done")));
    e = assertThrows(FraudLakeException.class, () -> BronzeJob.landingLines(inside));
    assertTrue(e.getMessage().startsWith("fraudlake.landing.archive-dir (") && e.getMessage().contains("must lie outside the landing folder"),
        e.getMessage());
  }

  private static void awaitFiles(Path dir, List<String> names) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!jsonFiles(dir).containsAll(names)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not archived under " + dir + " within 60 s: " + names + ", found " + jsonFiles(dir));
      }
      Thread.sleep(200);
    }
  }

  private static List<String> jsonFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsonl")).sorted().toList();
    }
  }
}
