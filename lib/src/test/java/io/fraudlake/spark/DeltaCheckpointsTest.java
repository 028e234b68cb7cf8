package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class DeltaCheckpointsTest {
  private static final StructType SCHEMA = new StructType().add("TransactionID", DataTypes.StringType);

  @Test
  void aTableIsCheckpointedOffTheWritePathOnceItsIntervalOfCommitsHasPassed() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("lakehouse.checkpoint-interval", "3")));
    lakehouse.createIfMissing(Tables.BRONZE, SCHEMA);
    Path log = lakehouse.path(Tables.BRONZE).resolve("_delta_log");

    for (long batch = 0; batch < 2; batch++) {
      append(lakehouse, batch);
    }
    DeltaCheckpoints.awaitQueued(Duration.ofMinutes(1));
    assertEquals(List.of(), checkpoints(log), "versions 1 and 2 are fewer than 3 commits past the table's start");

    append(lakehouse, 2);
    DeltaCheckpoints.awaitQueued(Duration.ofMinutes(1));
    assertEquals(List.of("00000000000000000003.checkpoint.parquet"), checkpoints(log));
    assertTrue(Files.exists(log.resolve("_last_checkpoint")));

    for (long batch = 3; batch < 5; batch++) {
      append(lakehouse, batch);
    }
    DeltaCheckpoints.awaitQueued(Duration.ofMinutes(1));
    assertEquals(List.of("00000000000000000003.checkpoint.parquet"), checkpoints(log), "versions 4 and 5 are not 3 past 3");

    // A reader that starts from the checkpoint sees every row.
    DeltaLog.clearCache();
    assertEquals(5, SharedSpark.session().read().format("delta").load(lakehouse.path(Tables.BRONZE).toString()).count());
  }

  @Test
  void withBackgroundCheckpointsOffDeltaCheckpointsInsideTheCommit() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(
        Map.of("lakehouse.checkpoint-interval", "2", "lakehouse.background-checkpoints", "false")));
    lakehouse.createIfMissing(Tables.BRONZE, SCHEMA);
    Map<String, String> properties = lakehouse.deltaTable(Tables.BRONZE).detail().select("properties").first().getJavaMap(0);
    assertEquals("2", properties.get("delta.checkpointInterval"));
    assertNull(properties.get(DeltaCheckpoints.INTERVAL_PROPERTY));

    append(lakehouse, 0);
    append(lakehouse, 1);
    // Delta wrote it before the second append returned: nothing is waited for.
    assertEquals(List.of("00000000000000000002.checkpoint.parquet"), checkpoints(lakehouse.path(Tables.BRONZE).resolve("_delta_log")));
  }

  @Test
  void aTableWithoutTheFraudLakePropertyIsLeftToDelta() throws Exception {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    String path = lakehouse.path(Tables.GOLD).toString();
    // Created by a plain append, as a user's own job would: Delta's default interval (10) applies.
    for (long batch = 0; batch < 3; batch++) {
      DeltaWrites.appendOnce(lakehouse, rows(batch), Tables.GOLD, "test-writer", batch);
    }
    DeltaCheckpoints.awaitQueued(Duration.ofMinutes(1));
    assertFalse(checkpoints(Path.of(path, "_delta_log")).iterator().hasNext(), "no checkpoint before Delta's own interval");
  }

  private static void append(Lakehouse lakehouse, long batch) {
    DeltaWrites.appendOnce(lakehouse, rows(batch), Tables.BRONZE, "test-writer", batch);
  }

  private static Dataset<Row> rows(long batch) {
    return SharedSpark.session().createDataFrame(List.of(RowFactory.create("t" + batch)), SCHEMA);
  }

  private static List<String> checkpoints(Path log) throws IOException {
    try (Stream<Path> files = Files.list(log)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".checkpoint.parquet")).sorted().toList();
    }
  }
}
