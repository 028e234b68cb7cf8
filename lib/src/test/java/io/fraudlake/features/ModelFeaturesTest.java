package io.fraudlake.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.silver.SilverJob;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class ModelFeaturesTest {
  @Test
  void silverAsWrittenFeedsTheModelWithoutAnyMismatch() {
    assertEquals(List.of(), ModelFeatures.mismatches(SilverJob.SILVER_SCHEMA));
  }

  @Test
  void theEightFeaturesOfTheDesignInTheirOrderAndTypes() {
    assertEquals(List.of("TransactionAmt", "log_transaction_amount", "is_high_value_txn", "is_international_txn",
        "txn_count_5min", "avg_amount_5min", "stddev_amount_5min", "product_diversity_5min"), ModelFeatures.NAMES);
    assertEquals(DataTypes.LongType, ModelFeatures.SCHEMA.apply("txn_count_5min").dataType());
    assertEquals(DataTypes.IntegerType, ModelFeatures.SCHEMA.apply("is_high_value_txn").dataType());
  }

  @Test
  void aMistypedOrMissingFeatureIsNamed() {
    StructType wrong = new StructType()
        .add("TransactionAmt", DataTypes.DoubleType)
        .add("txn_count_5min", DataTypes.DoubleType);
    List<String> problems = ModelFeatures.mismatches(wrong);
    assertEquals(true, problems.stream().anyMatch(p -> p.contains("txn_count_5min")), problems.toString());
    assertEquals(true, problems.stream().anyMatch(p -> p.contains("avg_amount_5min")), problems.toString());
  }
}
