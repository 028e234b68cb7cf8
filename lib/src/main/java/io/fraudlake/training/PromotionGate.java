package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Whether a candidate may take over an alias: its ROC-AUC must reach an absolute minimum and,
 * when there is a current model, must not fall more than {@code tolerance} below that model's
 * ROC-AUC on the same evaluation window. The tolerance absorbs the noise of comparing two forests
 * on a finite window, so an equally good retrain is not refused for a 0.001 wobble.
 */
public record PromotionGate(double minRocAuc, double tolerance) {

  public PromotionGate {
    if (!(minRocAuc >= 0.0 && minRocAuc <= 1.0)) {
      throw new FraudLakeException("the minimum ROC-AUC must be between 0 and 1, not " + minRocAuc);
    }
    if (!(tolerance >= 0.0 && tolerance < 1.0)) {
      throw new FraudLakeException("the promotion tolerance must be between 0 and 1, not " + tolerance);
    }
  }

  /** {@code model.min-roc-auc} and {@code model.promotion-tolerance}. */
  public static PromotionGate fromConfig(FraudLakeConfig config) {
    return new PromotionGate(config.decimal("model.min-roc-auc"), config.decimal("model.promotion-tolerance"));
  }

  public PromotionGate withMinRocAuc(double value) {
    return new PromotionGate(value, tolerance);
  }

  /**
   * Decides on the ROC-AUCs of the candidate and (if any) the current model, both measured on the
   * same window. The labels name the models in the one-line reason, e.g. "challenger v2".
   */
  public Decision decide(String candidate, double candidateAuc, String current, OptionalDouble currentAuc) {
    if (Double.isNaN(candidateAuc)) {
      return Decision.refuse(candidate + " has no ROC-AUC on the evaluation window (it needs both fraud and non-fraud labels)");
    }
    if (candidateAuc < minRocAuc) {
      return Decision.refuse(String.format(Locale.ROOT, "%s ROC-AUC %.4f is below the minimum %.4f",
          candidate, candidateAuc, minRocAuc));
    }
    if (currentAuc.isEmpty()) {
      return Decision.pass(String.format(Locale.ROOT, "%s ROC-AUC %.4f reaches the minimum %.4f (no current model to compare with)",
          candidate, candidateAuc, minRocAuc));
    }
    double floor = currentAuc.getAsDouble() - tolerance;
    if (candidateAuc < floor) {
      return Decision.refuse(String.format(Locale.ROOT,
          "%s ROC-AUC %.4f is worse than %s ROC-AUC %.4f on the same window (allowed tolerance %.4f)",
          candidate, candidateAuc, current, currentAuc.getAsDouble(), tolerance));
    }
    return Decision.pass(String.format(Locale.ROOT,
        "%s ROC-AUC %.4f reaches the minimum %.4f and is not worse than %s ROC-AUC %.4f (tolerance %.4f)",
        candidate, candidateAuc, minRocAuc, current, currentAuc.getAsDouble(), tolerance));
  }

  /** The gate's verdict and its one-line reason, with the numbers. */
  public record Decision(boolean passed, String reason) {
    static Decision pass(String reason) {
      return new Decision(true, reason);
    }

    static Decision refuse(String reason) {
      return new Decision(false, reason);
    }
  }
}
