package io.fraudlake.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The ranking metrics of a scored data set from one pass over its distinct scores in descending
 * order: exact ROC-AUC (ties count one half), average precision as scikit-learn defines it,
 * tie-aware precision at k, and a cut-down curve for plots.
 *
 * <p>Distinct scores are range-partitioned by Spark's sort, so the running true/false positive
 * counts are built the way Spark MLlib's binary metrics do it: each partition's totals are
 * collected (one small row per partition), turned into offsets, and every partition then walks
 * its own scores from its offset. No partition or the driver ever holds all scores.
 */
final class RankingCurve {
  final double rocAuc;
  final double averagePrecision;
  final double[] hitsAtK;
  final List<CurvePoint> points;

  private RankingCurve(double rocAuc, double averagePrecision, double[] hitsAtK, List<CurvePoint> points) {
    this.rocAuc = rocAuc;
    this.averagePrecision = averagePrecision;
    this.hitsAtK = hitsAtK;
    this.points = points;
  }

  /**
   * @param scored columns {@code score} (double, no nulls or NaN) and {@code label} (int 0/1)
   * @param positives number of label-1 rows, > 0
   * @param negatives number of label-0 rows, > 0
   * @param ks row counts (each <= rows) at which to count expected hits
   * @param maxPoints about how many curve points to keep
   */
  static RankingCurve compute(Dataset<Row> scored, long positives, long negatives, long[] ks, int maxPoints) {
    // Spark SQL's grouping normalizes -0.0 to 0.0, so equal scores always form one group.
    Dataset<Row> byScore = scored.groupBy(col("score"))
        .agg(sum(col("label")).as("tp"), count(lit(1)).as("n"))
        .orderBy(desc("score"));
    // One RDD object for both jobs, persisted, so both see the same partitions.
    JavaRDD<Row> sorted = byScore.javaRDD().persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<long[]> totals = sorted.mapPartitions(RankingCurve::partitionTotals).collect();
      long[][] offsets = new long[totals.size()][];
      long tp = 0;
      long fp = 0;
      for (int i = 0; i < totals.size(); i++) {
        offsets[i] = new long[] {tp, fp};
        tp += totals.get(i)[0];
        fp += totals.get(i)[1];
      }
      long grid = Math.max(1, maxPoints / 2);
      List<PartitionSummary> summaries = sorted.mapPartitionsWithIndex(
          (index, rows) -> List.of(summarize(rows, offsets[index], positives, negatives, ks, grid)).iterator(),
          false).collect();

      double twiceAucArea = 0;
      double weightedPrecision = 0;
      double[] hits = new double[ks.length];
      Arrays.fill(hits, Double.NaN);
      List<CurvePoint> points = new ArrayList<>();
      for (PartitionSummary s : summaries) {
        twiceAucArea += s.twiceAucArea;
        weightedPrecision += s.weightedPrecision;
        for (int i = 0; i < ks.length; i++) {
          if (!Double.isNaN(s.hitsAtK[i])) {
            hits[i] = s.hitsAtK[i];
          }
        }
        points.addAll(s.points);
      }
      double auc = twiceAucArea / (2.0 * positives * negatives);
      double ap = weightedPrecision / positives;
      return new RankingCurve(auc, ap, hits, List.copyOf(points));
    } finally {
      sorted.unpersist(false);
    }
  }

  private static Iterator<long[]> partitionTotals(Iterator<Row> rows) {
    long tp = 0;
    long n = 0;
    while (rows.hasNext()) {
      Row row = rows.next();
      tp += row.getLong(1);
      n += row.getLong(2);
    }
    return List.of(new long[] {tp, n - tp}).iterator();
  }

  private static PartitionSummary summarize(Iterator<Row> rows, long[] offset, long positives, long negatives,
      long[] ks, long grid) {
    PartitionSummary s = new PartitionSummary(ks.length);
    long tp = offset[0];
    long fp = offset[1];
    while (rows.hasNext()) {
      Row row = rows.next();
      double score = row.getDouble(0);
      long groupTp = row.getLong(1);
      long groupFp = row.getLong(2) - groupTp;
      long nextTp = tp + groupTp;
      long nextFp = fp + groupFp;
      // Trapezoid under the ROC step of this group: a tie block is one diagonal segment, which is
      // exactly the Mann-Whitney statistic with ties counted one half.
      s.twiceAucArea += (double) groupFp * (2.0 * tp + groupTp);
      if (groupTp > 0) {
        s.weightedPrecision += groupTp * ((double) nextTp / (nextTp + nextFp));
      }
      long before = tp + fp;
      long after = nextTp + nextFp;
      for (int i = 0; i < ks.length; i++) {
        if (before < ks[i] && ks[i] <= after) {
          s.hitsAtK[i] = tp + (double) groupTp * (ks[i] - before) / (after - before);
        }
      }
      boolean crossesGrid = nextTp * grid / positives != tp * grid / positives
          || nextFp * grid / negatives != fp * grid / negatives;
      if (before == 0 || crossesGrid) {
        s.points.add(new CurvePoint(score, nextTp, nextFp, (double) nextTp / positives, (double) nextFp / negatives,
            (double) nextTp / after));
      }
      tp = nextTp;
      fp = nextFp;
    }
    return s;
  }

  private static final class PartitionSummary implements Serializable {
    double twiceAucArea;
    double weightedPrecision;
    final double[] hitsAtK;
    final List<CurvePoint> points = new ArrayList<>();

    PartitionSummary(int ks) {
      hitsAtK = new double[ks];
      Arrays.fill(hitsAtK, Double.NaN);
    }
  }
}
