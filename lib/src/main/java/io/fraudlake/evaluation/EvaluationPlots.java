package io.fraudlake.evaluation;

import io.fraudlake.FraudLakeException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of an {@link EvaluationReport}: the ROC curve, the precision-recall curve and the
 * score distribution per label, drawn with XChart at 800×600 pixels.
 */
public final class EvaluationPlots {
  static {
    // Training runs on servers and in CI without a display, so AWT must not look for one. It reads
    // the flag once, and loading java.awt.Color already does, so this block precedes the colours.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  public static final int WIDTH = 800;
  public static final int HEIGHT = 600;
  public static final String ROC_FILE = "roc_curve.png";
  public static final String PR_FILE = "precision_recall_curve.png";
  public static final String HISTOGRAM_FILE = "score_histogram.png";

  private static final Color MODEL = new Color(31, 119, 180);
  private static final Color LEGITIMATE = new Color(31, 119, 180);
  private static final Color FRAUD = new Color(214, 39, 40);
  private static final Color REFERENCE = new Color(127, 127, 127);
  private static final Color OPERATING_POINT = new Color(255, 127, 14);
  /** The stroke of reference lines (random ranking, thresholds), so other charts draw them alike. */
  public static final BasicStroke DASHED =
      new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);

  private EvaluationPlots() {}

  /**
   * Writes {@value #ROC_FILE}, {@value #PR_FILE} and {@value #HISTOGRAM_FILE} into {@code dir}
   * (created if missing), replacing older files, and returns their paths in that order.
   */
  public static List<Path> writeAll(EvaluationReport report, Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new FraudLakeException("Cannot create the plot folder " + dir + ": " + e.getMessage(), e);
    }
    List<Path> written = new ArrayList<>();
    written.add(write(rocChart(report), dir.resolve(ROC_FILE)));
    written.add(write(precisionRecallChart(report), dir.resolve(PR_FILE)));
    written.add(write(scoreHistogramChart(report), dir.resolve(HISTOGRAM_FILE)));
    return List.copyOf(written);
  }

  /** Saves a chart as PNG at exactly {@code file} (XChart's path-based save would add an extension). */
  public static Path write(XYChart chart, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
      return file;
    } catch (IOException e) {
      throw new FraudLakeException("Cannot write the plot " + file + ": " + e.getMessage(), e);
    }
  }

  public static XYChart rocChart(EvaluationReport report) {
    XYChart chart = newChart(String.format(Locale.ROOT, "ROC curve: AUC %.4f on %,d rows (%,d fraud)",
        report.rocAuc(), report.rows(), report.positives()), "False positive rate", "True positive rate");
    styleUnitAxes(chart, 0.0, 1.0);
    chart.getStyler().setLegendPosition(LegendPosition.InsideSE);

    List<CurvePoint> curve = report.curve();
    double[] fpr = new double[curve.size() + 1];
    double[] tpr = new double[curve.size() + 1];
    for (int i = 0; i < curve.size(); i++) {
      fpr[i + 1] = curve.get(i).fpr();
      tpr[i + 1] = curve.get(i).tpr();
    }
    line(chart, "Random ranking (AUC = 0.5)", new double[] {0, 1}, new double[] {0, 1}, REFERENCE, DASHED);
    line(chart, String.format(Locale.ROOT, "Model (AUC = %.4f)", report.rocAuc()), fpr, tpr, MODEL, null);
    point(chart, operatingPointLabel(report), report.falsePositiveRateAtThreshold(), report.recallAtThreshold());
    return chart;
  }

  public static XYChart precisionRecallChart(EvaluationReport report) {
    XYChart chart = newChart(String.format(Locale.ROOT, "Precision-recall curve: AP %.4f on %,d rows (%,d fraud)",
        report.prAuc(), report.rows(), report.positives()), "Recall", "Precision");
    styleUnitAxes(chart, 0.0, 1.0);
    // Below the plot: inside, the legend would hide the curve wherever the model is good or bad.
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS).setLegendLayout(LegendLayout.Horizontal);

    List<CurvePoint> curve = report.curve();
    double[] recall = new double[curve.size()];
    double[] precision = new double[curve.size()];
    for (int i = 0; i < curve.size(); i++) {
      recall[i] = curve.get(i).recall();
      precision[i] = curve.get(i).precision();
    }
    line(chart, String.format(Locale.ROOT, "Fraud base rate (%.4f)", report.baseRate()), new double[] {0, 1},
        new double[] {report.baseRate(), report.baseRate()}, REFERENCE, DASHED);
    line(chart, String.format(Locale.ROOT, "Model (AP = %.4f)", report.prAuc()), recall, precision, MODEL, null);
    point(chart, operatingPointLabel(report), report.recallAtThreshold(), report.precisionAtThreshold());
    return chart;
  }

  /** Distinct colours for the detectors of one comparison, in order. */
  private static final Color[] SERIES = {MODEL, new Color(44, 160, 44), new Color(148, 103, 189), FRAUD,
      new Color(140, 86, 75), new Color(227, 119, 194)};

  /** The ROC curves of several models evaluated on the same rows, one line each, named by {@code reports}' keys. */
  public static XYChart rocComparison(Map<String, EvaluationReport> reports) {
    XYChart chart = newChart("ROC curves on the same evaluation rows", "False positive rate", "True positive rate");
    styleUnitAxes(chart, 0.0, 1.0);
    chart.getStyler().setLegendPosition(LegendPosition.InsideSE);
    line(chart, "Random ranking (AUC = 0.5)", new double[] {0, 1}, new double[] {0, 1}, REFERENCE, DASHED);
    int i = 0;
    for (Map.Entry<String, EvaluationReport> entry : reports.entrySet()) {
      List<CurvePoint> curve = entry.getValue().curve();
      double[] fpr = new double[curve.size() + 1];
      double[] tpr = new double[curve.size() + 1];
      for (int j = 0; j < curve.size(); j++) {
        fpr[j + 1] = curve.get(j).fpr();
        tpr[j + 1] = curve.get(j).tpr();
      }
      line(chart, String.format(Locale.ROOT, "%s (AUC = %.4f)", entry.getKey(), entry.getValue().rocAuc()), fpr, tpr,
          SERIES[i++ % SERIES.length], null);
    }
    return chart;
  }

  /** The precision-recall curves of several models evaluated on the same rows, one line each. */
  public static XYChart precisionRecallComparison(Map<String, EvaluationReport> reports) {
    XYChart chart = newChart("Precision-recall curves on the same evaluation rows", "Recall", "Precision");
    styleUnitAxes(chart, 0.0, 1.0);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS).setLegendLayout(LegendLayout.Horizontal);
    double baseRate = reports.values().iterator().next().baseRate();
    line(chart, String.format(Locale.ROOT, "Fraud base rate (%.4f)", baseRate), new double[] {0, 1},
        new double[] {baseRate, baseRate}, REFERENCE, DASHED);
    int i = 0;
    for (Map.Entry<String, EvaluationReport> entry : reports.entrySet()) {
      List<CurvePoint> curve = entry.getValue().curve();
      double[] recall = new double[curve.size()];
      double[] precision = new double[curve.size()];
      for (int j = 0; j < curve.size(); j++) {
        recall[j] = curve.get(j).recall();
        precision[j] = curve.get(j).precision();
      }
      line(chart, String.format(Locale.ROOT, "%s (AP = %.4f)", entry.getKey(), entry.getValue().prAuc()), recall,
          precision, SERIES[i++ % SERIES.length], null);
    }
    return chart;
  }

  /**
   * Each label's scores as the share of that label's rows per bin, so the few fraud rows are as
   * visible as the many legitimate ones; the model threshold is the dashed vertical line.
   */
  public static XYChart scoreHistogramChart(EvaluationReport report) {
    ScoreHistogram h = report.scoreHistogram();
    XYChart chart = newChart(String.format(Locale.ROOT, "Fraud score distribution by label (%d bins)", h.bins()),
        "Fraud score", "Share of the label's rows per bin");
    XYStyler styler = chart.getStyler();
    styler.setXAxisMin(h.min()).setXAxisMax(h.max()).setYAxisMin(0.0);
    styler.setXAxisDecimalPattern("0.0").setYAxisDecimalPattern("0.#%");
    styler.setLegendPosition(LegendPosition.InsideNW);

    double[] legitimate = ScoreHistogram.shares(h.negativeCounts());
    double[] fraud = ScoreHistogram.shares(h.positiveCounts());
    double top = 0;
    for (int i = 0; i < h.bins(); i++) {
      top = Math.max(top, Math.max(legitimate[i], fraud[i]));
    }
    top = top == 0 ? 1 : top * 1.08;
    styler.setYAxisMax(top);
    bars(chart, String.format(Locale.ROOT, "Legitimate (%,d rows)", report.negatives()), h, legitimate, LEGITIMATE);
    bars(chart, String.format(Locale.ROOT, "Fraud (%,d rows)", report.positives()), h, fraud, FRAUD);
    line(chart, String.format(Locale.ROOT, "Threshold %.4f (alerts %.2f%%)", report.threshold(),
        100 * report.alertRate()), new double[] {report.threshold(), report.threshold()},
        new double[] {0, top}, Color.BLACK, DASHED);
    return chart;
  }

  /** An empty chart in the style of these plots (800×600, fonts, legend); AWT runs headless. */
  public static XYChart newChart(String title, String xTitle, String yTitle) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
        .yAxisTitle(yTitle).build();
    XYStyler s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setPlotBorderColor(new Color(190, 190, 190));
    s.setPlotGridLinesColor(new Color(230, 230, 230));
    s.setPlotGridLinesStroke(new BasicStroke(1f));
    s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    s.setLegendBorderColor(new Color(200, 200, 200));
    s.setLegendBackgroundColor(new Color(255, 255, 255, 230));
    s.setChartTitleBoxVisible(false);
    s.setChartPadding(14);
    s.setPlotMargin(4);
    s.setAntiAlias(true);
    s.setMarkerSize(10);
    return chart;
  }

  private static void styleUnitAxes(XYChart chart, double min, double max) {
    XYStyler s = chart.getStyler();
    s.setXAxisMin(min).setXAxisMax(max).setYAxisMin(min).setYAxisMax(max);
    s.setXAxisDecimalPattern("0.0").setYAxisDecimalPattern("0.0");
  }

  /** A line without markers; solid and thick unless {@code stroke} is given. */
  public static void line(XYChart chart, String name, double[] x, double[] y, Color color, BasicStroke stroke) {
    XYSeries series = chart.addSeries(name, x, y);
    series.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
    series.setMarker(SeriesMarkers.NONE);
    series.setLineColor(color);
    if (stroke != null) {
      series.setLineStyle(stroke);
    } else {
      series.setLineWidth(2.5f);
    }
  }

  private static void point(XYChart chart, String name, double x, double y) {
    XYSeries series = chart.addSeries(name, new double[] {x}, new double[] {y});
    series.setXYSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
    series.setMarker(SeriesMarkers.CIRCLE);
    series.setMarkerColor(OPERATING_POINT);
  }

  /** An outlined, translucent step area: XChart has no overlaid-histogram type, so the outline is spelled out. */
  private static void bars(XYChart chart, String name, ScoreHistogram h, double[] shares, Color color) {
    double[] edges = h.edges();
    double[] x = new double[2 * h.bins() + 2];
    double[] y = new double[x.length];
    x[0] = edges[0];
    for (int i = 0; i < h.bins(); i++) {
      x[2 * i + 1] = edges[i];
      y[2 * i + 1] = shares[i];
      x[2 * i + 2] = edges[i + 1];
      y[2 * i + 2] = shares[i];
    }
    x[x.length - 1] = edges[h.bins()];
    XYSeries series = chart.addSeries(name, x, y);
    series.setXYSeriesRenderStyle(XYSeriesRenderStyle.Area);
    series.setMarker(SeriesMarkers.NONE);
    series.setLineColor(color);
    series.setLineWidth(1.5f);
    series.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), 70));
  }

  private static String operatingPointLabel(EvaluationReport report) {
    return String.format(Locale.ROOT, "Threshold %.4f (precision %.3f, recall %.3f)", report.threshold(),
        report.precisionAtThreshold(), report.recallAtThreshold());
  }
}
