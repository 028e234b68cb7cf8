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
  void readingAMissingTableNamesTheTableAndTheJobToRun() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> lakehouse.read(Tables.SILVER));
    assertTrue(e.getMessage().contains("silver_transactions_base does not exist"), e.getMessage());
  }
}
