package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class LakehouseTest {
  @Test
  void writesReadsAndRegistersDeltaTablesUnderTheRuntimeFolder() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    StructType schema = new StructType().add("TransactionID", DataTypes.StringType).add("TransactionAmt", DataTypes.DoubleType);
    assertFalse(lakehouse.exists(Tables.GOLD));

    lakehouse.append(SharedSpark.session().createDataFrame(List.of(RowFactory.create("t1", 12.5)), schema), Tables.GOLD);

    assertTrue(lakehouse.exists(Tables.GOLD));
    assertTrue(lakehouse.path(Tables.GOLD).startsWith(lakehouse.config().home()));
    assertEquals(List.of(Tables.GOLD), lakehouse.registerTables());
    Row row = SharedSpark.session().sql("SELECT TransactionID, TransactionAmt FROM fraud_predictions").first();
    assertEquals("t1", row.getString(0));
    assertEquals(12.5, row.getDouble(1));
  }

  @Test
  void everyDeltaFolderUnderTheLakehouseIsQueryableByNameInPathMode() throws java.io.IOException {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    StructType schema = new StructType().add("TransactionID", DataTypes.StringType);
    lakehouse.append(SharedSpark.session().createDataFrame(List.of(RowFactory.create("g1")), schema), Tables.GOLD);
    lakehouse.append(SharedSpark.session().createDataFrame(List.of(RowFactory.create("r1"), RowFactory.create("r2")), schema),
        "review_queue");
    lakehouse.append(SharedSpark.session().createDataFrame(List.of(RowFactory.create("x1")), schema), "not-a-sql-name");
    java.nio.file.Files.createDirectories(lakehouse.config().lakehouseDir().resolve("not_a_table"));

    assertEquals(List.of(Tables.GOLD, "review_queue"), lakehouse.registerTables());
    assertEquals(2L, SharedSpark.session().sql("SELECT count(*) FROM review_queue").first().getLong(0));
  }

  @Test
  void tablesWrittenInTheSameMicroBatchCheckpointTheirLogsInDifferentOnes() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(java.util.Map.of("lakehouse.checkpoint-interval", "100")));
    StructType schema = new StructType().add("TransactionID", DataTypes.StringType);
    List<Integer> intervals = new java.util.ArrayList<>();
    for (String table : Tables.ALL) {
      lakehouse.createIfMissing(table, schema);
      java.util.Map<String, String> properties = lakehouse.deltaTable(table).detail().select("properties").first().getJavaMap(0);
      intervals.add(Integer.parseInt(properties.get(DeltaCheckpoints.INTERVAL_PROPERTY)));
      assertEquals(Integer.toString(Integer.MAX_VALUE), properties.get("delta.checkpointInterval"),
          "Delta itself never checkpoints " + table + " inside a commit");
    }
    assertEquals(List.of(100, 107, 114, 121, 128, 135), intervals);
    // Committing once per micro-batch from version 0, no two of them checkpoint in the same one for
    // the first thousand micro-batches.
    java.util.Set<Integer> checkpointed = new java.util.HashSet<>();
    for (int interval : intervals) {
      for (int version = interval; version <= 1000; version += interval) {
        assertTrue(checkpointed.add(version), "two tables checkpoint at version " + version);
      }
    }

    FraudLakeException e = assertThrows(FraudLakeException.class, () -> SharedSpark.lakehouse(
        SharedSpark.freshConfig(java.util.Map.of("lakehouse.checkpoint-interval", "0"))).createIfMissing(Tables.GOLD, schema));
    assertEquals("fraudlake.lakehouse.checkpoint-interval must be at least 1, got 0", e.getMessage());
  }

  @Test
  void readingAMissingTableNamesTheTableAndTheJobToRun() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> lakehouse.read(Tables.SILVER));
    assertTrue(e.getMessage().contains("silver_transactions_base does not exist"), e.getMessage());
  }
}
