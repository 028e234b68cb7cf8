package io.fraudlake.evaluation;

import java.io.Serializable;

/**
 * One operating point of the ranking: alert on every row with score >= {@code threshold}. Points
 * of a curve come in descending threshold order, so true and false positives never decrease.
 *
 * @param threshold a distinct score of the evaluated data
 * @param truePositives fraud rows scored >= threshold
 * @param falsePositives legitimate rows scored >= threshold
 * @param tpr true positive rate (= recall)
 * @param fpr false positive rate
 * @param precision truePositives / (truePositives + falsePositives)
 */
public record CurvePoint(double threshold, long truePositives, long falsePositives, double tpr, double fpr,
    double precision) implements Serializable {

  public double recall() {
    return tpr;
  }
}
