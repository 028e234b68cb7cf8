-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Silver overview
-- MAGIC What landed, what was quarantined and why, and how the 8 features look for fraud and legitimate
-- MAGIC transactions. Runs on Databricks and locally: `./fraudlake sql --file notebooks/silver_overview.sql`

-- COMMAND ----------

-- Every landed line is in exactly one of the two bronze tables.
SELECT
  (SELECT count(*) FROM bronze_transactions) AS bronze_rows,
  (SELECT count(*) FROM bronze_quarantine) AS quarantined_rows,
  (SELECT count(*) FROM silver_transactions_base) AS silver_rows,
  (SELECT count(*) FROM silver_transactions_base WHERE arrived_late) AS arrived_late

-- COMMAND ----------

SELECT reason, count(*) AS lines
FROM bronze_quarantine
GROUP BY reason
ORDER BY lines DESC
LIMIT 10

-- COMMAND ----------

-- The features by label: fraud should stand out on several of them, none alone.
SELECT
  isFraud,
  count(*) AS transactions,
  round(avg(TransactionAmt), 2) AS avg_amount,
  round(avg(txn_count_5min), 2) AS avg_txn_count_5min,
  round(avg(product_diversity_5min), 2) AS avg_product_diversity_5min,
  round(avg(stddev_amount_5min), 2) AS avg_stddev_amount_5min,
  round(avg(is_high_value_txn), 3) AS high_value_share,
  round(avg(is_international_txn), 3) AS international_share
FROM silver_transactions_base
GROUP BY isFraud
ORDER BY isFraud

-- COMMAND ----------

-- Busiest 5-minute windows: card-testing bursts show up here.
SELECT card_id, event_timestamp, TransactionAmt, ProductCD, txn_count_5min, avg_amount_5min, isFraud
FROM silver_transactions_base
ORDER BY txn_count_5min DESC, event_timestamp
LIMIT 10
