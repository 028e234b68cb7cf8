-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Fraud dashboard
-- MAGIC The queries behind the analysts' dashboard, written for the tables' layout: `fraud_predictions` is clustered by
-- MAGIC `event_timestamp` and `card_id`, `fraud_feature_drift` by `window_end` and `feature` (liquid clustering, kept
-- MAGIC up by `./fraudlake maintain`). Each query filters on a range of those columns that is known before the query
-- MAGIC runs (session variables, which Spark puts in the plan as constants), so Delta reads only the files whose
-- MAGIC statistics overlap it. The time range ends at the newest scored event; the card is the one behind the most
-- MAGIC suspicious transaction of the last hour (on Databricks, bind `dashboard_card` to a widget instead).
-- MAGIC Locally: `./fraudlake sql --file notebooks/fraud_dashboard.sql`

-- COMMAND ----------

-- The range ends at the newest scored event. DECLARE takes no subquery as its default: SET VAR does.
DECLARE OR REPLACE VARIABLE dashboard_end TIMESTAMP

-- COMMAND ----------

DECLARE OR REPLACE VARIABLE dashboard_card STRING

-- COMMAND ----------

SET VAR dashboard_end = (SELECT max(event_timestamp) FROM fraud_predictions)

-- COMMAND ----------

-- The card behind the most suspicious transaction of the last hour.
SET VAR dashboard_card = (
  SELECT max_by(card_id, fraud_score) FROM fraud_predictions
  WHERE event_timestamp > dashboard_end - INTERVAL 1 HOUR AND event_timestamp <= dashboard_end)

-- COMMAND ----------

-- Alerts per hour over the last 24 hours of event time.
SELECT date_trunc('HOUR', event_timestamp)              AS hour,
       count(*)                                          AS transactions,
       count_if(is_anomaly)                              AS alerts,
       round(avg(CASE WHEN is_anomaly THEN 1.0 ELSE 0.0 END), 4) AS alert_rate,
       round(avg(fraud_score), 4)                        AS mean_score
FROM fraud_predictions
WHERE event_timestamp > dashboard_end - INTERVAL 24 HOURS AND event_timestamp <= dashboard_end
GROUP BY 1
ORDER BY 1 DESC

-- COMMAND ----------

-- The most suspicious transactions of the last hour.
SELECT TransactionID, card_id, event_timestamp, TransactionAmt,
       round(fraud_score, 4) AS fraud_score, model_version
FROM fraud_predictions
WHERE event_timestamp > dashboard_end - INTERVAL 1 HOUR AND event_timestamp <= dashboard_end AND is_anomaly
ORDER BY fraud_score DESC, TransactionID
LIMIT 20

-- COMMAND ----------

-- One card's history over the last 7 days, newest first.
SELECT event_timestamp, TransactionID, TransactionAmt, round(fraud_score, 4) AS fraud_score, is_anomaly, model_version
FROM fraud_predictions
WHERE card_id = dashboard_card
  AND event_timestamp > dashboard_end - INTERVAL 7 DAYS AND event_timestamp <= dashboard_end
ORDER BY event_timestamp DESC, TransactionID
LIMIT 200

-- COMMAND ----------

-- Drift per feature and hour over the last 24 hours (a line per feature on Databricks).
SELECT feature,
       date_trunc('HOUR', window_end)                    AS hour,
       count(*)                                          AS batches,
       round(avg(psi), 4)                                AS mean_psi,
       round(max(psi), 4)                                AS max_psi,
       count_if(drifted)                                 AS drifted_batches
FROM fraud_feature_drift
WHERE window_end > dashboard_end - INTERVAL 24 HOURS AND window_end <= dashboard_end
GROUP BY 1, 2
ORDER BY 1, 2 DESC
