package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.time.Duration;
import java.time.Instant;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** An independent oracle: Spark SQL window functions with a 300-second RANGE frame. */
class FeatureOracleTest {
  @Test
  void featuresMatchSparkSqlRangeWindows() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    GeneratorOptions options = new GeneratorOptions(2_000, 10, 0.05, Instant.parse("2024-03-10T08:00:00Z"),
        Duration.ofHours(3), 2, 5, 1.0, 0.05, 0.2);
    new TransactionGenerator(options).writeTo(lakehouse.config().landingDir(), "oracle");
    Pipelines.bronzeOnce(lakehouse);
    new SilverJob(lakehouse).runBatch(Tables.SILVER);
    lakehouse.registerTables();

    String window = "PARTITION BY card_id ORDER BY event_timestamp RANGE BETWEEN INTERVAL 300 SECONDS PRECEDING AND CURRENT ROW";
    Row r = lakehouse.spark().sql(
        "WITH oracle AS (SELECT TransactionID,"
            + " count(*) OVER (" + window + ") AS n,"
            + " avg(TransactionAmt) OVER (" + window + ") AS mean,"
            + " coalesce(stddev_samp(TransactionAmt) OVER (" + window + "), 0D) AS sd,"
            + " size(collect_set(ProductCD) OVER (" + window + ")) AS products,"
            + " ln(1 + TransactionAmt) AS lg,"
            + " CASE WHEN TransactionAmt > 1000 THEN 1 ELSE 0 END AS hv"
            + " FROM bronze_transactions)"
            + " SELECT count(*),"
            + " sum(CASE WHEN s.txn_count_5min <> o.n OR s.product_diversity_5min <> o.products"
            + "   OR s.is_high_value_txn <> o.hv THEN 1 ELSE 0 END),"
            + " max(abs(s.avg_amount_5min - o.mean) / greatest(1D, abs(o.mean))),"
            + " max(abs(s.stddev_amount_5min - o.sd) / greatest(1D, abs(o.sd))),"
            + " max(abs(s.log_transaction_amount - o.lg)),"
            + " sum(CASE WHEN s.txn_count_5min > 1 THEN 1 ELSE 0 END)"
            + " FROM silver_transactions_base s JOIN oracle o USING (TransactionID)").first();
    assertEquals(2_000L, r.getLong(0));
    assertEquals(0L, r.getLong(1), "rows whose count, diversity or high-value flag differ");
    assertEquals(0.0, r.getDouble(2), 1e-9);
    assertEquals(0.0, r.getDouble(3), 1e-9);
    assertEquals(0.0, r.getDouble(4), 1e-12);
    assertEquals(true, r.getLong(5) > 200, "multi-transaction windows are exercised");
  }
}
