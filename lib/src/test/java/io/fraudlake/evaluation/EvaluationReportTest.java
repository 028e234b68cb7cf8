package io.fraudlake.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class EvaluationReportTest {
  private static final double EPS = 1e-12;

  /**
   * Six rows, three fraud, with a fraud/legit tie at 0.8 and at 0.3:
   *
   * <pre>
   *   score  0.9  0.8  0.8  0.6  0.3  0.3
   *   label   1    1    0    0    1    0
   * </pre>
   */
  private static final double[] SIX_SCORES = {0.9, 0.8, 0.8, 0.6, 0.3, 0.3};
  private static final int[] SIX_LABELS = {1, 1, 0, 0, 1, 0};

  @Test
  void handWorkedSixRowsWithTies() {
    ScoredData data = new ScoredData(SIX_SCORES, SIX_LABELS, 0.8);
    EvaluationReport report = EvaluationReport.compute(data.frame(),
        EvaluationOptions.withThreshold(0.8).withTopK(1, 2, 5, 100).withTopFractions(0.5, 0.01));

    // Pairs (fraud, legit) out of 9: fraud 0.9 beats all 3; fraud 0.8 ties 0.8 (1/2) and beats
    // 0.6 and 0.3 (2); fraud 0.3 ties 0.3 (1/2). (3 + 2.5 + 0.5) / 9 = 2/3.
    assertEquals(6.0 / 9.0, report.rocAuc(), EPS);
    // Thresholds 0.9, 0.8, 0.6, 0.3 give (recall, precision) = (1/3, 1), (2/3, 2/3), (2/3, 1/2),
    // (1, 1/2). AP = 1/3·1 + 1/3·2/3 + 0·1/2 + 1/3·1/2 = 13/18.
    assertEquals(13.0 / 18.0, report.prAuc(), EPS);
    // Alerts at 0.8: the rows 0.9, 0.8, 0.8, two of them fraud.
    assertEquals(3, report.alerts());
    assertEquals(2, report.trueAlerts());
    assertEquals(2.0 / 3.0, report.precisionAtThreshold(), EPS);
    assertEquals(2.0 / 3.0, report.recallAtThreshold(), EPS);
    assertEquals(0.5, report.alertRate(), EPS);
    assertEquals(1.0 / 3.0, report.falsePositiveRateAtThreshold(), EPS);

    Map<String, Object> m = report.metrics();
    assertEquals(1.0, m.get("precision_at_1"));
    // k = 2: row 0.9 (fraud) plus one of the tied 0.8 rows, fraud with probability 1/2.
    assertEquals(0.75, (double) m.get("precision_at_2"), EPS);
    // k = 5: the four rows above 0.3 hold 2 fraud, plus one of the tied 0.3 pair (1/2).
    assertEquals(2.5 / 5, (double) m.get("precision_at_5"), EPS);
    // k larger than the data is capped at all rows.
    assertEquals(0.5, (double) m.get("precision_at_100"), EPS);
    // 50% of 6 rows = 3 rows; 1% of 6 rows rounds up to 1 row.
    assertEquals(2.0 / 3.0, (double) m.get("precision_at_50pct"), EPS);
    assertEquals(1.0, (double) m.get("precision_at_1pct"), EPS);
    assertEquals(6L, m.get("rows"));
    assertEquals(3L, m.get("positives"));
    assertEquals(3L, m.get("alerts"));
    assertEquals(2L, m.get("true_alerts"));
    assertEquals(0.8, m.get("threshold"));

    List<CurvePoint> curve = report.curve();
    assertEquals(List.of(0.9, 0.8, 0.6, 0.3), curve.stream().map(CurvePoint::threshold).toList());
    assertEquals(List.of(1L, 2L, 2L, 3L), curve.stream().map(CurvePoint::truePositives).toList());
    assertEquals(List.of(0L, 1L, 2L, 3L), curve.stream().map(CurvePoint::falsePositives).toList());
    assertEquals(0.5, curve.get(3).precision(), EPS);
  }

  @Test
  void metricMapHasTheAgreedKeysAndOnlyNumbers() {
    EvaluationReport report = EvaluationReport.compute(new ScoredData(SIX_SCORES, SIX_LABELS, 0.8).frame(), 0.8);
    assertEquals(List.of("roc_auc", "pr_auc", "precision_at_threshold", "recall_at_threshold", "precision_at_100",
        "precision_at_1pct", "alert_rate", "rows", "positives", "alerts", "true_alerts", "threshold"),
        new ArrayList<>(report.metrics().keySet()));
    report.metrics().values().forEach(v -> assertInstanceOf(Number.class, v));

    Map<String, Object> full = report.toMap();
    assertTrue(full.keySet().containsAll(List.of("roc_curve", "pr_curve", "score_histogram")));
    assertEquals(4, ((List<?>) full.get("roc_curve")).size());
    assertEquals(51, ((List<?>) ((Map<?, ?>) full.get("score_histogram")).get("bin_edges")).size());
  }

  @Test
  void histogramCountsEveryRowInItsBinPerLabel() {
    EvaluationReport report = EvaluationReport.compute(new ScoredData(SIX_SCORES, SIX_LABELS, 0.8).frame(),
        EvaluationOptions.withThreshold(0.8).withHistogramBins(4));
    ScoreHistogram h = report.scoreHistogram();
    assertEquals(0.0, h.min());
    assertEquals(1.0, h.max());
    assertEquals(List.of(0.0, 0.25, 0.5, 0.75, 1.0), Arrays.stream(h.edges()).boxed().toList());
    // Bins [0, .25) [.25, .5) [.5, .75) [.75, 1]: legit 0.8, 0.6, 0.3; fraud 0.9, 0.8, 0.3.
    assertEquals(List.of(0L, 1L, 1L, 1L), Arrays.stream(h.negativeCounts()).boxed().toList());
    assertEquals(List.of(0L, 1L, 0L, 2L), Arrays.stream(h.positiveCounts()).boxed().toList());
  }

  @Test
  void perfectInvertedAndConstantScorers() {
    double[] perfect = {0.1, 0.2, 0.3, 0.7, 0.8};
    int[] labels = {0, 0, 0, 1, 1};
    EvaluationReport good = EvaluationReport.compute(new ScoredData(perfect, labels, 0.5).frame(), 0.5);
    assertEquals(1.0, good.rocAuc(), EPS);
    assertEquals(1.0, good.prAuc(), EPS);
    assertEquals(1.0, good.precisionAtThreshold(), EPS);
    assertEquals(1.0, good.recallAtThreshold(), EPS);

    double[] inverted = {0.9, 0.8, 0.7, 0.2, 0.1};
    EvaluationReport bad = EvaluationReport.compute(new ScoredData(inverted, labels, 0.5).frame(), 0.5);
    assertEquals(0.0, bad.rocAuc(), EPS);
    assertEquals(0.0, bad.precisionAtThreshold(), EPS);
    // The fraud rows come 4th and 5th: (1/2)(1/4) + (1/2)(2/5).
    assertEquals(0.5 * 0.25 + 0.5 * 0.4, bad.prAuc(), EPS);

    // One tie block: every pair ties (AUC 1/2), and AP is the base rate.
    double[] constant = {0.5, 0.5, 0.5, 0.5, 0.5};
    EvaluationReport flat = EvaluationReport.compute(new ScoredData(constant, labels, 0.9).frame(), 0.9);
    assertEquals(0.5, flat.rocAuc(), EPS);
    assertEquals(0.4, flat.prAuc(), EPS);
    assertEquals(0, flat.alerts());
    assertEquals(0.0, flat.precisionAtThreshold(), "no alerts: precision is 0, not NaN");
    assertEquals(0.4, (double) flat.metrics().get("precision_at_1pct"), EPS);
    assertEquals(1, flat.curve().size());
  }

  @Test
  void uninformativeScoresGiveChanceLevelMetrics() {
    java.util.Random random = new java.util.Random(7);
    int n = 20_000;
    double[] scores = new double[n];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      scores[i] = random.nextDouble();
      labels[i] = random.nextDouble() < 0.05 ? 1 : 0;
    }
    EvaluationReport report = EvaluationReport.compute(new ScoredData(scores, labels, 0.9).frame(), 0.9);
    // Standard error of the AUC here is about 0.009; of AP about 0.005.
    assertEquals(0.5, report.rocAuc(), 0.04);
    assertEquals(report.baseRate(), report.prAuc(), 0.02);
    assertEquals(0.1, report.alertRate(), 0.01);
  }

  @Test
  void distributedResultEqualsThePlainArrayOracleOn50kRowsAcrossManyPartitions() {
    ScoredData data = ScoredData.realistic(50_000, 0.035, 42, 0.56);
    SparkSession spark = SharedSpark.session();
    String partitions = spark.conf().get("spark.sql.shuffle.partitions");
    String coalesce = spark.conf().get("spark.sql.adaptive.coalescePartitions.enabled");
    EvaluationReport report;
    try {
      // Several sorted partitions so the per-partition offsets of the running counts matter.
      spark.conf().set("spark.sql.shuffle.partitions", "7");
      spark.conf().set("spark.sql.adaptive.coalescePartitions.enabled", "false");
      report = EvaluationReport.compute(data.frame().repartition(5),
          EvaluationOptions.withThreshold(0.56).withTopK(100, 1000, 1750).withTopFractions(0.01, 0.05));
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitions);
      spark.conf().set("spark.sql.adaptive.coalescePartitions.enabled", coalesce);
    }

    assertEquals(ArrayMetrics.rocAuc(data.scores, data.labels), report.rocAuc(), 1e-9);
    assertEquals(ArrayMetrics.averagePrecision(data.scores, data.labels), report.prAuc(), 1e-9);
    assertEquals(ArrayMetrics.precisionAt(data.scores, data.labels, 0.56), report.precisionAtThreshold(), 1e-12);
    assertEquals(ArrayMetrics.recallAt(data.scores, data.labels, 0.56), report.recallAtThreshold(), 1e-12);
    for (PrecisionAtK p : report.precisionAtK()) {
      assertEquals(ArrayMetrics.precisionAtK(data.scores, data.labels, p.k()), p.precision(), 1e-9, p.key());
    }
    assertEquals(500, report.precisionAtK().get(3).k());
    assertEquals(2500, report.precisionAtK().get(4).k());
    assertEquals(Arrays.stream(data.labels).sum(), report.positives());
    assertTrue(report.rocAuc() > 0.8, "the synthetic scores separate the classes: " + report.rocAuc());

    List<CurvePoint> curve = report.curve();
    assertTrue(curve.size() > 100 && curve.size() <= 1001, "curve cut to about 1,000 points: " + curve.size());
    for (int i = 1; i < curve.size(); i++) {
      assertTrue(curve.get(i).threshold() < curve.get(i - 1).threshold());
      assertTrue(curve.get(i).truePositives() >= curve.get(i - 1).truePositives());
      assertTrue(curve.get(i).falsePositives() >= curve.get(i - 1).falsePositives());
    }
    CurvePoint last = curve.get(curve.size() - 1);
    assertEquals(1.0, last.tpr());
    assertEquals(1.0, last.fpr());
    assertEquals(report.baseRate(), last.precision(), EPS);
    // The first kept point is the single highest score.
    assertEquals(Arrays.stream(data.scores).max().orElseThrow(), curve.get(0).threshold());

    ScoreHistogram h = report.scoreHistogram();
    assertEquals(50, h.bins());
    assertEquals(report.negatives(), Arrays.stream(h.negativeCounts()).sum());
    assertEquals(report.positives(), Arrays.stream(h.positiveCounts()).sum());
  }

  @Test
  void smallCurveBudgetStillEndsAtTheCorner() {
    ScoredData data = ScoredData.realistic(5_000, 0.05, 3, 0.56);
    EvaluationReport report = EvaluationReport.compute(data.frame(),
        EvaluationOptions.withThreshold(0.56).withMaxCurvePoints(20));
    assertTrue(report.curve().size() <= 21, "size " + report.curve().size());
    assertEquals(1.0, report.curve().get(report.curve().size() - 1).tpr());
    assertEquals(ArrayMetrics.rocAuc(data.scores, data.labels), report.rocAuc(), 1e-9, "metrics use every score");
  }

  @Test
  void acceptsBooleanLabelsNumericPredictionsAndOtherColumnNames() {
    StructType schema = new StructType()
        .add("score col", DataTypes.FloatType)
        .add("fraud", DataTypes.BooleanType)
        .add("alert", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SIX_SCORES.length; i++) {
      rows.add(RowFactory.create((float) SIX_SCORES[i], SIX_LABELS[i] == 1, SIX_SCORES[i] >= 0.5 ? 1 : 0));
    }
    Dataset<Row> frame = SharedSpark.session().createDataFrame(rows, schema);
    // Floats widen to doubles that are not 0.9 etc., but order and ties are kept, so so are the metrics.
    EvaluationReport report = EvaluationReport.compute(frame,
        EvaluationOptions.withThreshold((double) 0.5f).withColumns("score col", "fraud", "alert"));
    assertEquals(6.0 / 9.0, report.rocAuc(), EPS);
    assertEquals(13.0 / 18.0, report.prAuc(), EPS);
    assertEquals(4, report.alerts());
  }

  @Test
  void summaryLinesAreAlignedAndCarryTheKeyNumbers() {
    EvaluationReport report = EvaluationReport.compute(new ScoredData(SIX_SCORES, SIX_LABELS, 0.8).frame(), 0.8);
    List<String> lines = report.summaryLines();
    assertEquals("Evaluated 6 rows: 3 fraud (50.00%), 3 legitimate", lines.get(0));
    assertEquals("  ROC-AUC                  0.6667", lines.get(1));
    assertTrue(lines.get(2).startsWith("  PR-AUC (avg precision)   0.7222"), lines.get(2));
    assertTrue(lines.get(3).contains("3 alerts (50.00% of rows), 2 true"), lines.get(3));
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("  Precision @ top 1%      ")), String.join("\n", lines));
    int valueColumn = lines.get(1).indexOf("0.6667");
    for (String line : lines.subList(1, lines.size())) {
      assertEquals('.', line.charAt(valueColumn + 1), "aligned: " + line);
    }
  }

  @Test
  void singleClassLabelsAreRejectedWithOneLine() {
    double[] scores = {0.2, 0.4, 0.6};
    FraudLakeException noFraud = assertThrows(FraudLakeException.class,
        () -> EvaluationReport.compute(new ScoredData(scores, new int[] {0, 0, 0}, 0.5).frame(), 0.5));
    assertEquals("ROC-AUC needs both classes; the evaluation window has 0 fraud rows", noFraud.getMessage());
    FraudLakeException noLegit = assertThrows(FraudLakeException.class,
        () -> EvaluationReport.compute(new ScoredData(scores, new int[] {1, 1, 1}, 0.5).frame(), 0.5));
    assertEquals("ROC-AUC needs both classes; the evaluation window has 0 non-fraud rows", noLegit.getMessage());
    assertThrows(FraudLakeException.class, () -> ArrayMetrics.rocAuc(scores, new int[] {0, 0, 0}));
  }

  @Test
  void badInputIsRejectedWithOneLine() {
    SparkSession spark = SharedSpark.session();
    assertMessage("Evaluation input is empty: there are no scored rows to evaluate",
        spark.createDataFrame(List.of(), ScoredData.SCHEMA), EvaluationOptions.withThreshold(0.5));
    assertMessage("Evaluation input has no label column 'label' (columns: fraud_score, isFraud, is_anomaly)",
        new ScoredData(SIX_SCORES, SIX_LABELS, 0.5).frame(),
        EvaluationOptions.withThreshold(0.5).withColumns("fraud_score", "label", "is_anomaly"));
    assertMessage("Evaluation input has 1 labels other than 0/1 in column 'isFraud'",
        new ScoredData(SIX_SCORES, new int[] {1, 2, 0, 0, 1, 0}, 0.5).frame(), EvaluationOptions.withThreshold(0.5));
    assertMessage("Evaluation input has 1 null labels in column 'isFraud'",
        spark.createDataFrame(List.of(RowFactory.create(0.4, null, false), RowFactory.create(0.6, 1, true)),
            ScoredData.SCHEMA), EvaluationOptions.withThreshold(0.5));
    assertMessage("Evaluation input has 2 null, NaN or infinite scores in column 'fraud_score'",
        spark.createDataFrame(List.of(RowFactory.create(Double.NaN, 0, false), RowFactory.create(0.6, 1, true),
            RowFactory.create(Double.POSITIVE_INFINITY, 1, true)), ScoredData.SCHEMA),
        EvaluationOptions.withThreshold(0.5));
    assertMessage("Prediction column 'is_anomaly' disagrees with fraud_score >= 0.5 on 1 of 6 rows; "
            + "pass the threshold the model alerted with",
        new ScoredData(SIX_SCORES, SIX_LABELS, 0.8).frame(), EvaluationOptions.withThreshold(0.5));
    StructType stringLabel = new StructType().add("fraud_score", DataTypes.DoubleType)
        .add("isFraud", DataTypes.StringType).add("is_anomaly", DataTypes.BooleanType);
    assertMessage("Label column 'isFraud' must be 0/1 numeric or boolean, not string",
        spark.createDataFrame(List.of(RowFactory.create(0.4, "yes", false)), stringLabel),
        EvaluationOptions.withThreshold(0.5));
    assertThrows(FraudLakeException.class, () -> EvaluationOptions.withThreshold(Double.NaN));
    assertThrows(FraudLakeException.class, () -> EvaluationOptions.withThreshold(0.5).withTopK(0));
    assertThrows(FraudLakeException.class, () -> EvaluationOptions.withThreshold(0.5).withTopFractions(1.5));
  }

  @Test
  void percentKeysDropTrailingZeros() {
    assertEquals("1", EvaluationReport.percent(0.01));
    assertEquals("0.5", EvaluationReport.percent(0.005));
    assertEquals("100", EvaluationReport.percent(1.0));
  }

  private static void assertMessage(String expected, Dataset<Row> frame, EvaluationOptions options) {
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> EvaluationReport.compute(frame, options));
    assertEquals(expected, e.getMessage());
  }
}
