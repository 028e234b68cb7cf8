package io.fraudlake.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.FraudLakeException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;

/**
 * Exact area under the ROC curve and average precision for scores where higher means positive, with
 * tied scores treated as one threshold (a tie between a positive and a negative counts one half).
 * Average precision is scikit-learn's: the sum over thresholds of (recall gain) × precision, with no
 * interpolation.
 *
 * <p>On a Dataset, rows are grouped by distinct score and the groups sorted in Spark; only one small
 * total per partition reaches the driver. Labels must be 1 (positive) or 0 (negative), numeric or
 * boolean.
 */
public final class BinaryMetrics {
  private BinaryMetrics() {}

  /** Both metrics and the class counts, from one grouping of the data. */
  public record Summary(double areaUnderRoc, double averagePrecision, long positives, long negatives) {}

  public static double areaUnderRoc(Dataset<Row> df, String scoreCol, String labelCol) {
    return summarize(df, scoreCol, labelCol).areaUnderRoc();
  }

  public static double averagePrecision(Dataset<Row> df, String scoreCol, String labelCol) {
    return summarize(df, scoreCol, labelCol).averagePrecision();
  }

  public static double areaUnderRoc(double[] scores, int[] labels) {
    return summarize(scores, labels).areaUnderRoc();
  }

  public static double averagePrecision(double[] scores, int[] labels) {
    return summarize(scores, labels).averagePrecision();
  }

  public static Summary summarize(Dataset<Row> df, String scoreCol, String labelCol) {
    checkColumn(df, scoreCol, "score");
    checkColumn(df, labelCol, "label");
    Column score = col(quoted(scoreCol)).cast("double");
    Column label = col(quoted(labelCol)).cast("double");
    Dataset<Row> groups = df
        .select(score.as("score"), label.as("label"))
        .groupBy("score")
        .agg(
            sum(when(col("label").equalTo(1.0), 1L).otherwise(0L)).as("positives"),
            sum(when(col("label").equalTo(0.0), 1L).otherwise(0L)).as("negatives"),
            sum(when(col("label").isin(0.0, 1.0), 0L).otherwise(1L)).as("others"))
        .orderBy(col("score").desc_nulls_last())
        .persist();
    try {
      JavaRDD<Row> sorted = groups.javaRDD();
      List<PartitionTotals> totals = new ArrayList<>(sorted
          .mapPartitionsWithIndex((index, rows) -> List.of(PartitionTotals.of(index, rows)).iterator(), false)
          .collect());
      totals.sort(Comparator.comparingInt(t -> t.partition));
      long positives = 0;
      long negatives = 0;
      double rocArea = 0.0;
      long[] positivesBefore = new long[totals.size()];
      long[] negativesBefore = new long[totals.size()];
      for (PartitionTotals t : totals) {
        if (t.others > 0) {
          throw new FraudLakeException("BinaryMetrics: label column '" + labelCol + "' must hold only 0 and 1, but "
              + t.others + " rows hold something else or null");
        }
        if (t.invalidScores > 0) {
          throw new FraudLakeException("BinaryMetrics: score column '" + scoreCol + "' has null or NaN values");
        }
        positivesBefore[t.partition] = positives;
        negativesBefore[t.partition] = negatives;
        rocArea += t.rocArea + (double) positives * t.negatives;
        positives += t.positives;
        negatives += t.negatives;
      }
      checkBothClasses(positives, negatives, labelCol);
      double precisionSum = sorted
          .mapPartitionsWithIndex((index, rows) -> List.of(
              precisionSum(rows, positivesBefore[index], negativesBefore[index])).iterator(), false)
          .reduce(Double::sum);
      return new Summary(rocArea / ((double) positives * negatives), precisionSum / positives, positives, negatives);
    } finally {
      groups.unpersist();
    }
  }

  public static Summary summarize(double[] scores, int[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(scores.length + " scores but " + labels.length + " labels");
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new FraudLakeException("BinaryMetrics: score " + i + " is NaN");
      }
      if (labels[i] != 0 && labels[i] != 1) {
        throw new FraudLakeException("BinaryMetrics: label " + i + " is " + labels[i] + "; labels must be 0 or 1");
      }
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    long positives = 0;
    long negatives = 0;
    double rocArea = 0.0;
    double precisionSum = 0.0;
    int i = 0;
    while (i < order.length) {
      long groupPositives = 0;
      long groupNegatives = 0;
      double value = scores[order[i]];
      while (i < order.length && scores[order[i]] == value) {
        if (labels[order[i]] == 1) {
          groupPositives++;
        } else {
          groupNegatives++;
        }
        i++;
      }
      rocArea += groupNegatives * (positives + groupPositives / 2.0);
      positives += groupPositives;
      negatives += groupNegatives;
      precisionSum += groupPositives * ((double) positives / (positives + negatives));
    }
    checkBothClasses(positives, negatives, "labels");
    return new Summary(rocArea / ((double) positives * negatives), precisionSum / positives, positives, negatives);
  }

  private static double precisionSum(Iterator<Row> rows, long positivesBefore, long negativesBefore) {
    long positives = positivesBefore;
    long negatives = negativesBefore;
    double sum = 0.0;
    while (rows.hasNext()) {
      Row row = rows.next();
      long groupPositives = row.getLong(1);
      positives += groupPositives;
      negatives += row.getLong(2);
      if (groupPositives > 0) {
        sum += groupPositives * ((double) positives / (positives + negatives));
      }
    }
    return sum;
  }

  private static void checkBothClasses(long positives, long negatives, String labelCol) {
    if (positives == 0 || negatives == 0) {
      throw new FraudLakeException("BinaryMetrics: '" + labelCol + "' needs both classes, found " + positives
          + " positives and " + negatives + " negatives");
    }
  }

  private static void checkColumn(Dataset<Row> df, String column, String role) {
    if (!Arrays.asList(df.columns()).contains(column)) {
      throw new FraudLakeException("BinaryMetrics: " + role + " column '" + column + "' not found; columns are "
          + String.join(", ", df.columns()));
    }
    DataType type = df.schema().apply(column).dataType();
    if (!(type instanceof NumericType) && !(type instanceof BooleanType)) {
      throw new FraudLakeException("BinaryMetrics: " + role + " column '" + column + "' must be numeric, not "
          + type.simpleString());
    }
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  /** One partition of the sorted score groups, summed; its ROC area assumes no positives before it. */
  private static final class PartitionTotals implements Serializable {
    private static final long serialVersionUID = 1L;
    int partition;
    long positives;
    long negatives;
    long others;
    long invalidScores;
    double rocArea;

    static PartitionTotals of(int partition, Iterator<Row> rows) {
      PartitionTotals totals = new PartitionTotals();
      totals.partition = partition;
      while (rows.hasNext()) {
        Row row = rows.next();
        long groupPositives = row.getLong(1);
        long groupNegatives = row.getLong(2);
        if (row.isNullAt(0) || Double.isNaN(row.getDouble(0))) {
          totals.invalidScores += groupPositives + groupNegatives;
        }
        totals.rocArea += groupNegatives * (totals.positives + groupPositives / 2.0);
        totals.positives += groupPositives;
        totals.negatives += groupNegatives;
        totals.others += row.getLong(3);
      }
      return totals;
    }
  }
}
