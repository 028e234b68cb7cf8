package io.fraudlake.drift;

/**
 * A retrain on a drift trigger: the challenger trained on batches {@code firstBatch}..{@code lastBatch},
 * both models' ROC-AUC on {@code gateBatch} (the trigger, which neither was trained on), and the promotion
 * gate's verdict and reason.
 */
public record RetrainOutcome(int firstBatch, int lastBatch, int gateBatch, long challengerVersion,
    double challengerRocAuc, String prodVersion, double prodRocAuc, boolean promoted, String reason) {
  public String describe() {
    return (promoted ? "v" + challengerVersion + " promoted to @prod" : "challenger v" + challengerVersion + " refused")
        + " (trained on batches " + firstBatch + "-" + lastBatch + ")";
  }
}
