-- Databricks notebook source
-- MAGIC %md
-- MAGIC # Feature drift
-- MAGIC How far live traffic has moved from the data each model version was trained on. Every scoring
-- MAGIC batch of at least `monitoring.min-drift-rows` rows adds one row per feature to `fraud_feature_drift`:
-- MAGIC the Population Stability Index (PSI) of the batch against the training data, with the training
-- MAGIC quantile bins logged with the model. PSI below 0.1 is stable, 0.1 to 0.2 a moderate shift, and
-- MAGIC at or above `psi_threshold` (0.2 by default) the feature counts as drifted.
-- MAGIC Locally: `./fraudlake sql --file notebooks/feature_drift.sql`

-- COMMAND ----------

-- Drifted features per model version: in how many of the measured batches, how strongly, and when last.
SELECT model_name, model_version, feature,
       count(*)                                         AS batches_measured,
       sum(CASE WHEN drifted THEN 1 ELSE 0 END)         AS batches_drifted,
       round(avg(CASE WHEN drifted THEN 1.0 ELSE 0.0 END), 3) AS drifted_share,
       round(max(psi), 3)                               AS max_psi,
       round(percentile(psi, 0.5), 3)                   AS median_psi,
       round(avg(batch_mean), 3)                        AS mean_in_batches,
       round(max(reference_mean), 3)                    AS mean_in_training,
       max(CASE WHEN drifted THEN window_end END)       AS last_drifted_event
FROM fraud_feature_drift
GROUP BY model_name, model_version, feature
HAVING sum(CASE WHEN drifted THEN 1 ELSE 0 END) > 0
ORDER BY model_version DESC, batches_drifted DESC, max_psi DESC

-- COMMAND ----------

-- PSI per feature and hour of event time, for the version scoring now (a line chart per feature on Databricks).
SELECT date_trunc('HOUR', window_end) AS hour, feature,
       round(avg(psi), 4)             AS mean_psi,
       round(max(psi), 4)             AS max_psi,
       sum(rows)                      AS rows
FROM fraud_feature_drift
WHERE model_version = (SELECT max_by(model_version, computed_at) FROM fraud_feature_drift)
GROUP BY 1, 2
ORDER BY 1 DESC, 2
LIMIT 200

-- COMMAND ----------

-- Where a drifted feature moved: batch and training shares per bin, for the latest drifted batch of each feature.
SELECT feature, model_version, batch_id, round(psi, 3) AS psi, bin,
       round(reference_shares[bin], 4) AS training_share,
       round(batch_shares[bin], 4)     AS batch_share
FROM (
  SELECT *, row_number() OVER (PARTITION BY feature ORDER BY computed_at DESC, batch_id DESC) AS latest
  FROM fraud_feature_drift
  WHERE drifted
) d LATERAL VIEW posexplode(d.batch_shares) b AS bin, share
WHERE latest = 1
ORDER BY feature, bin
