package io.fraudlake.evaluation;

/**
 * Precision among the {@code k} highest-scored rows. Rows tied with the k-th score share the
 * remaining places in proportion, which is the expected precision under a random order of ties
 * and keeps the number independent of how Spark happens to order equal scores.
 *
 * @param key metric key, e.g. {@code precision_at_100} or {@code precision_at_1pct}
 * @param k number of rows inspected (capped at the number of rows evaluated)
 * @param precision expected fraction of fraud among those rows
 */
public record PrecisionAtK(String key, long k, double precision) {}
