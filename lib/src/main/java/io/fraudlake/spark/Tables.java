package io.fraudlake.spark;

import java.util.List;

/** The contract table names; dashboards and SQL users depend on them. */
public final class Tables {
  public static final String BRONZE = "bronze_transactions";
  public static final String QUARANTINE = "bronze_quarantine";
  public static final String SILVER = "silver_transactions_base";
  public static final String GOLD = "fraud_predictions";
  public static final String BATCH_METRICS = "fraud_batch_metrics";
  public static final String FEATURE_DRIFT = "fraud_feature_drift";

  public static final List<String> ALL = List.of(BRONZE, QUARANTINE, SILVER, GOLD, BATCH_METRICS, FEATURE_DRIFT);

  private Tables() {}
}
