package io.fraudlake.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;

class EvaluationPlotsTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @Test
  void writesThreeReadablePngsOfTheAgreedSize() throws IOException {
    EvaluationReport report = EvaluationReport.compute(ScoredData.realistic(20_000, 0.035, 11, 0.56).frame(), 0.56);
    // Kept under target/ so a person can look at the charts after a build.
    Path dir = Path.of("target", "evaluation-plots");
    List<Path> files = EvaluationPlots.writeAll(report, dir);

    assertEquals(List.of(dir.resolve("roc_curve.png"), dir.resolve("precision_recall_curve.png"),
        dir.resolve("score_histogram.png")), files);
    assertTrue(java.awt.GraphicsEnvironment.isHeadless());
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        assertArrayEquals(PNG_SIGNATURE, in.readNBytes(8), file + " starts like a PNG");
      }
      BufferedImage image = ImageIO.read(file.toFile());
      assertEquals(EvaluationPlots.WIDTH, image.getWidth(), file.toString());
      assertEquals(EvaluationPlots.HEIGHT, image.getHeight(), file.toString());
      assertTrue(distinctColours(image) > 20, file + " has more than a blank canvas");
    }
  }

  @Test
  void writeAllCreatesTheFolderAndReplacesOldFiles() throws IOException {
    EvaluationReport report = EvaluationReport.compute(ScoredData.realistic(2_000, 0.1, 5, 0.56).frame(), 0.56);
    Path dir = SharedSpark.tempDir("plots").resolve("nested/run-1");
    EvaluationPlots.writeAll(report, dir);
    List<Path> again = EvaluationPlots.writeAll(report, dir);
    try (var listing = Files.list(dir)) {
      assertEquals(3, listing.count());
    }
    for (Path file : again) {
      assertTrue(Files.size(file) > 5_000, file + " size " + Files.size(file));
    }
  }

  @Test
  void chartSeriesCarryTheReportData() {
    EvaluationReport report = EvaluationReport.compute(ScoredData.realistic(5_000, 0.05, 9, 0.56).frame(), 0.56);

    XYChart roc = EvaluationPlots.rocChart(report);
    assertTrue(roc.getTitle().contains(String.format(java.util.Locale.ROOT, "%.4f", report.rocAuc())));
    var model = roc.getSeriesMap().values().stream().filter(s -> s.getName().startsWith("Model")).findFirst()
        .orElseThrow();
    assertEquals(report.curve().size() + 1, model.getXData().length, "ROC starts at the origin");
    assertEquals(0.0, model.getXData()[0]);
    assertEquals(1.0, model.getYData()[model.getYData().length - 1]);

    XYChart hist = EvaluationPlots.scoreHistogramChart(report);
    var fraud = hist.getSeriesMap().values().stream().filter(s -> s.getName().startsWith("Fraud")).findFirst()
        .orElseThrow();
    // Each bin appears twice in the outline (its left and right edge), so halve the sum.
    double shareSum = Arrays.stream(fraud.getYData()).sum() / 2;
    assertEquals(1.0, shareSum, 1e-9, "fraud shares sum to one");
    var threshold = hist.getSeriesMap().values().stream().filter(s -> s.getName().startsWith("Threshold"))
        .findFirst().orElseThrow();
    assertArrayEquals(new double[] {0.56, 0.56}, threshold.getXData());
  }

  private static int distinctColours(BufferedImage image) {
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y));
      }
    }
    return colours.size();
  }
}
