package io.fraudlake.evaluation;

import io.fraudlake.FraudLakeException;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The metrics of {@link EvaluationReport} on plain arrays, for data small enough to sit in memory.
 * It follows textbook formulas by a different route than the Spark code (ROC-AUC through
 * Mann-Whitney mid-ranks rather than a curve), so tests use it as an independent oracle.
 */
public final class ArrayMetrics {
  private ArrayMetrics() {}

  /** ROC-AUC = (sum of the fraud rows' mid-ranks − P(P+1)/2) / (P·N), ranks ascending by score. */
  public static double rocAuc(double[] scores, int[] labels) {
    long positives = requireBothClasses(scores, labels);
    long negatives = labels.length - positives;
    Integer[] order = ascending(scores);
    double rankSum = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double midRank = (i + 1 + j + 1) / 2.0;
      for (int t = i; t <= j; t++) {
        if (labels[order[t]] == 1) {
          rankSum += midRank;
        }
      }
      i = j + 1;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** scikit-learn's average precision: over distinct thresholds, descending, sum of (R_n − R_n−1)·P_n. */
  public static double averagePrecision(double[] scores, int[] labels) {
    long positives = requireBothClasses(scores, labels);
    Integer[] order = ascending(scores);
    double ap = 0;
    long tp = 0;
    long seen = 0;
    int i = order.length - 1;
    while (i >= 0) {
      int j = i;
      long groupTp = 0;
      while (j >= 0 && scores[order[j]] == scores[order[i]]) {
        groupTp += labels[order[j]];
        j--;
      }
      seen += i - j;
      tp += groupTp;
      ap += ((double) groupTp / positives) * ((double) tp / seen);
      i = j;
    }
    return ap;
  }

  /** Expected precision of the k top-scored rows when ties at the k-th score are ordered at random. */
  public static double precisionAtK(double[] scores, int[] labels, long k) {
    requireBothClasses(scores, labels);
    long rows = Math.min(k, scores.length);
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    double kth = sorted[sorted.length - (int) rows];
    long above = 0;
    long hitsAbove = 0;
    long tied = 0;
    long hitsTied = 0;
    for (int i = 0; i < scores.length; i++) {
      if (scores[i] > kth) {
        above++;
        hitsAbove += labels[i];
      } else if (scores[i] == kth) {
        tied++;
        hitsTied += labels[i];
      }
    }
    return (hitsAbove + (double) hitsTied * (rows - above) / tied) / rows;
  }

  /** Precision of alerting on score >= threshold; 0.0 when nothing is alerted. */
  public static double precisionAt(double[] scores, int[] labels, double threshold) {
    long alerts = 0;
    long hits = 0;
    for (int i = 0; i < scores.length; i++) {
      if (scores[i] >= threshold) {
        alerts++;
        hits += labels[i];
      }
    }
    return alerts == 0 ? 0.0 : (double) hits / alerts;
  }

  /** Recall of alerting on score >= threshold. */
  public static double recallAt(double[] scores, int[] labels, double threshold) {
    long positives = requireBothClasses(scores, labels);
    long hits = 0;
    for (int i = 0; i < scores.length; i++) {
      if (scores[i] >= threshold) {
        hits += labels[i];
      }
    }
    return (double) hits / positives;
  }

  private static Integer[] ascending(double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    return order;
  }

  private static long requireBothClasses(double[] scores, int[] labels) {
    if (scores.length != labels.length) {
      throw new FraudLakeException("Got " + scores.length + " scores but " + labels.length + " labels");
    }
    if (scores.length == 0) {
      throw new FraudLakeException("Evaluation input is empty: there are no scored rows to evaluate");
    }
    long positives = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] != 0 && labels[i] != 1) {
        throw new FraudLakeException("Labels must be 0 or 1, not " + labels[i]);
      }
      if (Double.isNaN(scores[i])) {
        throw new FraudLakeException("Scores must not be NaN");
      }
      positives += labels[i];
    }
    if (positives == 0) {
      throw new FraudLakeException("ROC-AUC needs both classes; the evaluation window has 0 fraud rows");
    }
    if (positives == labels.length) {
      throw new FraudLakeException("ROC-AUC needs both classes; the evaluation window has 0 non-fraud rows");
    }
    return positives;
  }
}
