-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Fraud alerts
-- MAGIC What the scoring stream flagged: volume and alert rate per hour, the most suspicious
-- MAGIC transactions, and how alerts compare with the labels where labels exist.
-- MAGIC Locally: `./fraudlake sql --file notebooks/fraud_alerts.sql`

-- COMMAND ----------

SELECT date_trunc('HOUR', event_timestamp)            AS hour,
       count(*)                                        AS transactions,
       sum(CASE WHEN is_anomaly THEN 1 ELSE 0 END)     AS alerts,
       round(avg(CASE WHEN is_anomaly THEN 1.0 ELSE 0.0 END), 4) AS alert_rate,
       round(avg(fraud_score), 4)                      AS mean_score
FROM fraud_predictions
GROUP BY 1
ORDER BY 1 DESC
LIMIT 24

-- COMMAND ----------

SELECT TransactionID, card_id, event_timestamp, TransactionAmt,
       round(fraud_score, 4) AS fraud_score, model_version
FROM fraud_predictions
WHERE is_anomaly
ORDER BY fraud_score DESC
LIMIT 20

-- COMMAND ----------

-- Alerts against the labels (historical data carries isFraud in silver).
SELECT g.is_anomaly,
       count(*)                                        AS transactions,
       sum(s.isFraud)                                  AS fraud,
       round(avg(s.isFraud), 4)                        AS fraud_rate
FROM fraud_predictions g
JOIN silver_transactions_base s USING (TransactionID)
WHERE s.isFraud IS NOT NULL
GROUP BY g.is_anomaly
ORDER BY g.is_anomaly DESC

-- COMMAND ----------

SELECT model_name, model_version, count(*) AS scored, min(scored_at) AS first_scored, max(scored_at) AS last_scored
FROM fraud_predictions
GROUP BY model_name, model_version
ORDER BY last_scored DESC
