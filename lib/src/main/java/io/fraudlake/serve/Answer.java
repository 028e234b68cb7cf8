package io.fraudlake.serve;

import io.fraudlake.silver.FeatureValues;

/**
 * The service's answer for one transaction: its features, its score by the model that was serving
 * when it first arrived, and whether it arrived behind the watermark (its window may then miss
 * events already evicted). A re-sent TransactionID gets this same answer again.
 */
public record Answer(String transactionId, FeatureValues features, double score, boolean anomaly, String modelName,
    String modelVersion, boolean arrivedLate) {}
