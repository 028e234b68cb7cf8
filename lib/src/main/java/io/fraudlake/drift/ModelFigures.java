package io.fraudlake.drift;

import io.fraudlake.evaluation.EvaluationReport;

/**
 * How one model did on one batch: ranking quality (ROC-AUC, PR-AUC) and what its threshold did
 * (share of transactions alerted, share of fraud caught).
 */
public record ModelFigures(String version, double rocAuc, double prAuc, double alertRate, double recall) {
  static ModelFigures of(String version, EvaluationReport report) {
    return new ModelFigures(version, report.rocAuc(), report.prAuc(), report.alertRate(), report.recallAtThreshold());
  }
}
