package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Absolute floors for a newly trained model's ROC-AUC and PR-AUC on its held-out window
 * ({@code model.quality}). When enforced ({@code train --require-quality}), a model below either floor
 * gets no registered version, so nothing downstream (promote, score, a CI deployment) can pick it up.
 * Unlike {@link PromotionGate}, which compares a registered challenger with prod, this needs no other model.
 */
public record QualityFloors(boolean enforced, double minRocAuc, double minPrAuc) {
  public static final String ENFORCE_KEY = "model.quality.enforce";
  public static final String MIN_ROC_AUC_KEY = "model.quality.min-roc-auc";
  public static final String MIN_PR_AUC_KEY = "model.quality.min-pr-auc";

  public QualityFloors {
    requireFraction(MIN_ROC_AUC_KEY, minRocAuc);
    requireFraction(MIN_PR_AUC_KEY, minPrAuc);
  }

  public static QualityFloors fromConfig(FraudLakeConfig config) {
    return new QualityFloors(config.flag(ENFORCE_KEY), config.decimal(MIN_ROC_AUC_KEY), config.decimal(MIN_PR_AUC_KEY));
  }

  /**
   * The metrics below their floors as one line, e.g. {@code pr_auc 0.1203 < 0.1500 (model.quality.min-pr-auc)};
   * empty when every floor is reached. A missing or undefined (NaN) metric is below its floor.
   */
  public Optional<String> shortfall(Map<String, Double> metrics) {
    List<String> below = new ArrayList<>();
    for (Floor floor : floors()) {
      Double value = metrics.get(floor.metric());
      if (value == null || !(value >= floor.minimum())) {
        below.add(String.format(Locale.ROOT, "%s %s < %.4f (%s)", floor.metric(),
            value == null ? "missing" : String.format(Locale.ROOT, "%.4f", value), floor.minimum(), floor.key()));
      }
    }
    return below.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", below));
  }

  /** Each metric against its floor, e.g. {@code roc_auc 0.9182 >= 0.8000, pr_auc 0.2870 >= 0.1500}. */
  public String describe(Map<String, Double> metrics) {
    List<String> parts = new ArrayList<>();
    for (Floor floor : floors()) {
      Double value = metrics.get(floor.metric());
      parts.add(String.format(Locale.ROOT, "%s %s %s %.4f", floor.metric(),
          value == null ? "missing" : String.format(Locale.ROOT, "%.4f", value),
          value != null && value >= floor.minimum() ? ">=" : "<", floor.minimum()));
    }
    return String.join(", ", parts);
  }

  private List<Floor> floors() {
    return List.of(new Floor("roc_auc", MIN_ROC_AUC_KEY, minRocAuc), new Floor("pr_auc", MIN_PR_AUC_KEY, minPrAuc));
  }

  private record Floor(String metric, String key, double minimum) {}

  private static void requireFraction(String key, double value) {
    if (!(value >= 0.0 && value <= 1.0)) {
      throw new FraudLakeException(key + " must be between 0 and 1, not " + value);
    }
  }
}
