package io.fraudlake.bench;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.registry.MlflowModelDirectory;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The two models of the serve_latency benchmark fitted on the same rows: FraudLake's production
 * pipeline shape ({@link BenchModels#fitForest}: assembler, scaler, Isolation Forest with 200 trees and
 * 256 samples, contamination 0.035, seed 42), saved as the MLflow model directory {@code serve
 * --model-path} takes, and the 8 feature columns of those rows as a CSV, which the FastAPI peer fits its
 * scikit-learn forest on and the load generator draws its {@code /predict} bodies from.
 *
 * <p>Usage: {@code ServeModel --out DIR [--rows 100000]} writes {@code DIR/model} and
 * {@code DIR/features.csv} (header: the model's feature names in its input order).
 */
public final class ServeModel {
  private ServeModel() {}

  public static void main(String[] argv) throws IOException {
    Args args = Args.parse(argv);
    Path out = Path.of(args.required("out")).toAbsolutePath();
    long rows = args.longValue("rows", 100_000L);
    Files.createDirectories(out);
    SparkSession spark = Spark.localSession("serve-model");
    try {
      // Cached so the fit and the CSV read the very same rows (silverRows draws from rand()).
      Dataset<Row> sample = BenchModels.silverRows(spark, rows, 0, Instant.now().getEpochSecond()).cache();
      sample.count();
      Path model = out.resolve("model");
      if (Files.isRegularFile(model.resolve(MlflowModelDirectory.MLMODEL))) {
        BenchFiles.deleteFolder(model);
      }
      BenchModels.saveMlflow(BenchModels.fitForest(sample), model);
      writeCsv(sample.select(ModelFeatures.columns()).collectAsList(), out.resolve("features.csv"));
      System.out.printf(Locale.ROOT, "wrote %s and %s (%,d rows)%n", model, out.resolve("features.csv"), rows);
    } finally {
      spark.stop();
    }
  }

  private static void writeCsv(List<Row> rows, Path csv) throws IOException {
    Path tmp = csv.resolveSibling(csv.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
      w.write(String.join(",", ModelFeatures.NAMES));
      w.newLine();
      StringBuilder line = new StringBuilder(128);
      for (Row r : rows) {
        line.setLength(0);
        for (int k = 0; k < r.size(); k++) {
          if (k > 0) {
            line.append(',');
          }
          line.append(r.get(k));
        }
        w.write(line.toString());
        w.newLine();
      }
    }
    Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING);
  }
}
