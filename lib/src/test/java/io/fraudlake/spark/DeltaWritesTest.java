package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fraudlake.testing.SharedSpark;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class DeltaWritesTest {
  private static final StructType SCHEMA = new StructType().add("batch", DataTypes.LongType).add("writer", DataTypes.StringType);

  private static Dataset<Row> rows(long batch, String writer, int count) {
    List<Row> rows = LongStream.range(0, count).mapToObj(i -> RowFactory.create(batch, writer)).toList();
    return SharedSpark.session().createDataFrame(rows, SCHEMA);
  }

  private static long count(Lakehouse lakehouse, String where) {
    return lakehouse.read(Tables.GOLD).where(where).count();
  }

  @Test
  void aBatchIdAlreadyCommittedIsSkippedInTheSameProcessAndAfterARestart() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    for (long batch = 0; batch < 3; batch++) {
      DeltaWrites.appendOnce(lakehouse, rows(batch, "a", 2), Tables.GOLD, "app-a", batch);
    }
    DeltaWrites.appendOnce(lakehouse, rows(2, "a", 2), Tables.GOLD, "app-a", 2);
    assertEquals(6, count(lakehouse, "writer = 'a'"));

    // A restarted process knows nothing and must find batch 2 in the table's history.
    DeltaWrites.forgetCommits();
    DeltaWrites.appendOnce(lakehouse, rows(2, "a", 2), Tables.GOLD, "app-a", 2);
    DeltaWrites.appendOnce(lakehouse, rows(1, "a", 2), Tables.GOLD, "app-a", 1);
    assertEquals(6, count(lakehouse, "writer = 'a'"));
    DeltaWrites.appendOnce(lakehouse, rows(3, "a", 2), Tables.GOLD, "app-a", 3);
    assertEquals(2, count(lakehouse, "batch = 3"));
  }

  @Test
  void writersAreTrackedApartAndPerTable() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    DeltaWrites.appendOnce(lakehouse, rows(5, "a", 1), Tables.GOLD, "app-a", 5);
    DeltaWrites.appendOnce(lakehouse, rows(0, "b", 1), Tables.GOLD, "app-b", 0);
    DeltaWrites.appendOnce(lakehouse, rows(5, "a", 1), Tables.BATCH_METRICS, "app-a", 5);
    DeltaWrites.forgetCommits();
    DeltaWrites.appendOnce(lakehouse, rows(1, "b", 1), Tables.GOLD, "app-b", 1);
    DeltaWrites.appendOnce(lakehouse, rows(5, "a", 1), Tables.GOLD, "app-a", 5);

    assertEquals(1, count(lakehouse, "writer = 'a'"));
    assertEquals(2, count(lakehouse, "writer = 'b'"));
    assertEquals(1, lakehouse.read(Tables.BATCH_METRICS).count());
  }

  @Test
  void theHistoryLookupReachesPastOtherWritersCommits() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    SparkSession spark = SharedSpark.session();
    DeltaWrites.appendOnce(lakehouse, rows(7, "a", 1), Tables.GOLD, "app-a", 7);
    for (long batch = 0; batch < 5; batch++) {
      DeltaWrites.appendOnce(lakehouse, rows(batch, "b", 1), Tables.GOLD, "app-b", batch);
    }
    lakehouse.append(rows(0, "untagged", 1), Tables.GOLD);
    DeltaWrites.Target gold = DeltaWrites.Target.at(lakehouse.path(Tables.GOLD).toString());

    // Looking back 1 commit at first, doubled to 2, 4, 8: app-a's tag is 7 commits back.
    assertEquals(7, DeltaWrites.newestTag(spark, gold, "app-a", 1));
    assertEquals(4, DeltaWrites.newestTag(spark, gold, "app-b", 1));
    assertEquals(-1, DeltaWrites.newestTag(spark, gold, "app-c", 1));
    assertEquals(-1, DeltaWrites.newestTag(spark, DeltaWrites.Target.at(lakehouse.path(Tables.SILVER).toString()), "app-a", 1));
  }

  @Test
  void aFailedWriteIsRetriedInFull() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    DeltaWrites.appendOnce(lakehouse, rows(0, "a", 1), Tables.GOLD, "app-a", 0);
    Dataset<Row> wrongSchema = SharedSpark.session().createDataFrame(List.of(RowFactory.create("x")),
        new StructType().add("batch", DataTypes.StringType));
    assertThrows(Exception.class, () -> DeltaWrites.appendOnce(lakehouse, wrongSchema, Tables.GOLD, "app-a", 1));

    DeltaWrites.appendOnce(lakehouse, rows(1, "a", 3), Tables.GOLD, "app-a", 1);
    assertEquals(3, count(lakehouse, "batch = 1"));
  }

  @Test
  void catalogTablesAreTrackedByTheirNames() {
    String schema = "writes_" + Long.toHexString(System.nanoTime());
    SharedSpark.session().sql("CREATE DATABASE " + schema);
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(java.util.Map.of(
        "lakehouse.mode", "catalog", "lakehouse.schema", schema)));
    DeltaWrites.appendOnce(lakehouse, rows(0, "a", 2), Tables.GOLD, "app-a", 0);
    DeltaWrites.appendOnce(lakehouse, rows(1, "a", 2), Tables.GOLD, "app-a", 1);
    DeltaWrites.forgetCommits();
    DeltaWrites.appendOnce(lakehouse, rows(1, "a", 2), Tables.GOLD, "app-a", 1);

    assertEquals(4, SharedSpark.session().table(schema + "." + Tables.GOLD).count());
  }
}
