package io.fraudlake.drift;

import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.EvaluationPlots;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * One PNG of a drift simulation: above, the model's figures per batch (with the reference model's as
 * dashed lines once a retrained model is @prod); below, every feature's PSI per batch against the
 * threshold. A vertical line marks each drift trigger that retrained (or, without {@code --retrain},
 * the first batch that would have).
 */
final class DriftPlots {
  private static final Color[] METRIC_COLORS = {
      new Color(31, 119, 180), new Color(44, 160, 44), new Color(214, 39, 40), new Color(148, 103, 189)};
  private static final Color[] FEATURE_COLORS = {
      new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
      new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)};
  private static final Color MARKER = new Color(90, 90, 90);

  private DriftPlots() {}

  static Path write(DriftReport report, Path file) {
    XYChart metrics = metricsChart(report);
    XYChart psi = psiChart(report);
    BufferedImage top = BitmapEncoder.getBufferedImage(metrics);
    BufferedImage bottom = BitmapEncoder.getBufferedImage(psi);
    BufferedImage both = new BufferedImage(Math.max(top.getWidth(), bottom.getWidth()),
        top.getHeight() + bottom.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = both.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, both.getWidth(), both.getHeight());
      g.drawImage(top, 0, 0, null);
      g.drawImage(bottom, 0, top.getHeight(), null);
    } finally {
      g.dispose();
    }
    try {
      ImageIO.write(both, "png", file.toFile());
      return file;
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the plot " + file + ": " + e.getMessage(), e);
    }
  }

  static XYChart metricsChart(DriftReport report) {
    XYChart chart = EvaluationPlots.newChart("Model quality per production batch", "Batch", "Value");
    chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setXAxisDecimalPattern("0");
    legendBeside(chart);
    List<BatchOutcome> batches = report.batches();
    double[] x = batches.stream().mapToDouble(BatchOutcome::batch).toArray();
    String[] names = {"ROC-AUC", "PR-AUC", "Alert rate", "Recall"};
    List<ToDoubleFunction<ModelFigures>> values = List.of(ModelFigures::rocAuc, ModelFigures::prAuc,
        ModelFigures::alertRate, ModelFigures::recall);
    boolean retrained = batches.stream().anyMatch(b -> b.withoutRetraining() != null);
    for (int m = 0; m < names.length; m++) {
      ToDoubleFunction<ModelFigures> value = values.get(m);
      EvaluationPlots.line(chart, names[m] + (retrained ? " (@prod)" : ""), x,
          batches.stream().mapToDouble(b -> value.applyAsDouble(b.prod())).toArray(), METRIC_COLORS[m], null);
      if (retrained) {
        EvaluationPlots.line(chart, names[m] + ", no retrain", x,
            batches.stream().mapToDouble(b -> value.applyAsDouble(b.reference())).toArray(), METRIC_COLORS[m],
            EvaluationPlots.DASHED);
      }
    }
    markTriggers(chart, report, 0.0, 1.0);
    return chart;
  }

  static XYChart psiChart(DriftReport report) {
    XYChart chart = EvaluationPlots.newChart(String.format(Locale.ROOT,
        "Feature drift: PSI vs @prod's training data (threshold %.2f)", report.psiThreshold()), "Batch", "PSI");
    chart.getStyler().setXAxisDecimalPattern("0").setYAxisMin(0.0);
    legendBeside(chart);
    List<BatchOutcome> batches = report.batches();
    double[] x = batches.stream().mapToDouble(BatchOutcome::batch).toArray();
    List<String> features = report.features();
    double top = report.psiThreshold();
    for (int f = 0; f < features.size(); f++) {
      String feature = features.get(f);
      double[] y = batches.stream().mapToDouble(b -> b.psi().getOrDefault(feature, Double.NaN)).toArray();
      for (double v : y) {
        top = Double.isFinite(v) ? Math.max(top, v) : top;
      }
      EvaluationPlots.line(chart, feature, x, y, FEATURE_COLORS[f % FEATURE_COLORS.length], null);
    }
    top *= 1.08;
    chart.getStyler().setYAxisMax(top);
    EvaluationPlots.line(chart, "monitoring.psi-threshold", new double[] {x[0], x[x.length - 1]},
        new double[] {report.psiThreshold(), report.psiThreshold()}, Color.BLACK, EvaluationPlots.DASHED);
    markTriggers(chart, report, 0.0, top);
    return chart;
  }

  /** Beside the plot: inside, the legend of up to a dozen series hides the lines it names. */
  private static void legendBeside(XYChart chart) {
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE).setLegendLayout(LegendLayout.Vertical);
    chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(11f));
  }

  /** A vertical line just after each batch whose trigger retrained, or at the first trigger without retraining. */
  private static void markTriggers(XYChart chart, DriftReport report, double low, double high) {
    for (BatchOutcome b : report.batches()) {
      if (b.retrain() != null) {
        double at = b.batch() + 0.5;
        EvaluationPlots.line(chart, String.format(Locale.ROOT, "Retrain at %d: %s", b.batch(),
            b.retrain().promoted() ? "v" + b.retrain().challengerVersion() + " @prod" : "refused"),
            new double[] {at, at}, new double[] {low, high}, MARKER, EvaluationPlots.DASHED);
      }
    }
    if (!report.options().retrain()) {
      report.triggerBatch().ifPresent(batch -> EvaluationPlots.line(chart,
          "Trigger at batch " + batch, new double[] {batch, batch},
          new double[] {low, high}, MARKER, EvaluationPlots.DASHED));
    }
  }
}
