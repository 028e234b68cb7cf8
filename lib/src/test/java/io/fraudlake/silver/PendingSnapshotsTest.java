package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class PendingSnapshotsTest {
  /** A bronze row; {@code note} goes into extra_fields, which may be null. */
  private static Row event(String id, long micros, String note) {
    Timestamp at = WindowFeatures.timestamp(micros);
    return RowFactory.create(id, at, "card-1", 12.25, "W", null, "GB", 1, note, "file:/landing/a.jsonl",
        WindowFeatures.timestamp(micros + 5));
  }

  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void eventsComeBackAsTheyWereWrittenNullsMicrosecondsAndUnicodeIncluded() {
    PendingSnapshots snapshots = new PendingSnapshots(SharedSpark.tempDir("live-pending"));
    List<Row> written = List.of(event("a", 1_714_557_600_123_456L, null), event("b", -1L, "{\"note\":\"Zürich 🚀\"}"));
    snapshots.write(written, 4);

    List<Row> read = snapshots.before(5);
    assertEquals(written.size(), read.size());
    for (int i = 0; i < written.size(); i++) {
      assertEquals(written.get(i), read.get(i), "row " + i);
    }
    assertEquals(List.of(), snapshots.before(4), "batch 4 starts from an earlier snapshot, and there is none");
  }

  @Test
  void aBatchStartsFromTheNewestEarlierSnapshotAndAReplayFromTheSameOne() throws IOException {
    Path dir = SharedSpark.tempDir("live-pending");
    PendingSnapshots snapshots = new PendingSnapshots(dir);
    snapshots.write(List.of(event("a", 1, null)), 0);
    snapshots.write(List.of(event("b", 2, null)), 1);
    // Batch 2 wrote nothing; batch 3 starts from batch 1's, and so does its replay.
    assertEquals("b", snapshots.before(3).get(0).getString(0));
    snapshots.write(List.of(event("c", 3, null), event("d", 4, null)), 3);
    snapshots.write(List.of(event("c", 3, null), event("d", 4, null)), 3);

    assertEquals(List.of("v1.bin", "v3.bin"), files(dir), "only what a replay of batch 3 could need is kept");
    assertEquals("b", snapshots.before(3).get(0).getString(0));
    assertEquals(2, snapshots.before(4).size());
  }

  @Test
  void aSnapshotOfAnotherFormatIsAClearError() throws IOException {
    Path dir = SharedSpark.tempDir("live-pending");
    Files.write(dir.resolve("v7.bin"), new byte[] {0, 0, 0, 9, 0, 0, 0, 0});
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> new PendingSnapshots(dir).before(8));
    assertEquals(true, e.getMessage().contains("v7.bin") && e.getMessage().contains("format 9"), e.getMessage());
  }
}
