package io.fraudlake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The exactly-once contract between silver and gold, as every scoring test checks it. */
public final class GoldAssertions {
  private GoldAssertions() {}

  /** Gold holds one scored row per silver row: none lost, none doubled, none without a score. */
  public static void assertExactlyOneGoldRowPerSilverRow(Lakehouse lakehouse) {
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    Dataset<Row> gold = lakehouse.read(Tables.GOLD);
    assertEquals(silver.count(), gold.count(), "one gold row per silver row");
    assertEquals(gold.count(), gold.select("TransactionID").distinct().count(), "no transaction twice");
    assertEquals(0, silver.select("TransactionID").except(gold.select("TransactionID")).count(), "none lost");
    assertEquals(0, gold.where("fraud_score IS NULL OR is_anomaly IS NULL OR model_version IS NULL").count(),
        "every row scored");
    assertEquals(0, gold.where("fraud_score <= 0 OR fraud_score > 1").count(), "scores in (0, 1]");
  }
}
