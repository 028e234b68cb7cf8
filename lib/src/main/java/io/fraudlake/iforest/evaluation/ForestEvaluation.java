package io.fraudlake.iforest.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.FraudLakeException;
import io.fraudlake.evaluation.BinaryMetrics;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.IsolationForestModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;

/**
 * Fits and scores an isolation forest on a labelled table several times (seeds seed, seed + 1, ...)
 * and reports AUROC and average precision (mean and sample standard deviation), training time and
 * scoring throughput. The data is assembled and cached once, so timings measure the forest, not
 * the file reader.
 */
public final class ForestEvaluation {
  private static final String FEATURES = "__features";
  private static final String LABEL = "__label";
  private static final String SCORE = "__score";

  public record Options(String input, InputTable.Format format, String label, List<String> features, int trees,
      int samples, long seed, int repeats) {}

  public record Run(long seed, double auroc, double auprc, double trainSeconds, double scoreRowsPerSecond) {}

  public record Report(String input, long rows, long positives, List<String> features, int trees, int samples,
      List<Run> runs) {
    public double auroc() {
      return mean(runs.stream().mapToDouble(Run::auroc).toArray());
    }

    public double aurocStd() {
      return std(runs.stream().mapToDouble(Run::auroc).toArray());
    }

    public double auprc() {
      return mean(runs.stream().mapToDouble(Run::auprc).toArray());
    }

    public double auprcStd() {
      return std(runs.stream().mapToDouble(Run::auprc).toArray());
    }

    public double trainSeconds() {
      return mean(runs.stream().mapToDouble(Run::trainSeconds).toArray());
    }

    public double scoreRowsPerSecond() {
      return mean(runs.stream().mapToDouble(Run::scoreRowsPerSecond).toArray());
    }

    public String toText() {
      return String.format(
          "%s: %d rows (%d anomalies), %d features, %d trees x %d samples, %d repeats%n"
              + "AUROC  %.4f +- %.4f%nAUPRC  %.4f +- %.4f%n"
              + "training %.2f s per fit, scoring %,.0f rows/s",
          input, rows, positives, features.size(), trees, samples, runs.size(),
          auroc(), aurocStd(), auprc(), auprcStd(), trainSeconds(), scoreRowsPerSecond());
    }

    public Map<String, Object> toMap() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("auroc", auroc());
      out.put("auroc_std", aurocStd());
      out.put("auprc", auprc());
      out.put("auprc_std", auprcStd());
      out.put("train_seconds", trainSeconds());
      out.put("score_rows_per_second", scoreRowsPerSecond());
      out.put("input", input);
      out.put("rows", rows);
      out.put("positives", positives);
      out.put("features", features);
      out.put("trees", trees);
      out.put("samples", samples);
      out.put("repeats", runs.size());
      List<Map<String, Object>> perRun = new ArrayList<>();
      for (Run run : runs) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("seed", run.seed());
        entry.put("auroc", run.auroc());
        entry.put("auprc", run.auprc());
        entry.put("train_seconds", run.trainSeconds());
        entry.put("score_rows_per_second", run.scoreRowsPerSecond());
        perRun.add(entry);
      }
      out.put("runs", perRun);
      return out;
    }

    public void writeJson(Path file) {
      try {
        if (file.toAbsolutePath().getParent() != null) {
          Files.createDirectories(file.toAbsolutePath().getParent());
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), toMap());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + file, e);
      }
    }
  }

  private ForestEvaluation() {}

  public static Report run(SparkSession spark, Options options) {
    if (options.repeats() < 1) {
      throw new FraudLakeException("--repeats must be at least 1, got " + options.repeats());
    }
    // Checked before any Spark work, so a bad value fails at once.
    IsolationForest template = new IsolationForest().setNumTrees(options.trees()).setMaxSamples(options.samples())
        .setFeaturesCol(FEATURES).setScoreCol(SCORE).setPredictionCol("__is_anomaly");
    Dataset<Row> table = InputTable.read(spark, options.input(), options.format());
    List<String> features = chooseFeatures(table, options.label(), options.features());
    checkNoMissingValues(table, features);
    Dataset<Row> data = new VectorAssembler().setInputCols(features.toArray(String[]::new)).setOutputCol(FEATURES)
        .transform(table)
        .select(col(FEATURES), col(quoted(options.label())).as(LABEL))
        // A small file is one partition; spread it so scoring uses every core.
        .repartition(spark.sparkContext().defaultParallelism())
        .cache();
    try {
      long rows = data.count();
      List<Run> runs = new ArrayList<>();
      long positives = 0;
      for (int r = 0; r < options.repeats(); r++) {
        long seed = options.seed() + r;
        long start = System.nanoTime();
        IsolationForestModel model = template.copy(org.apache.spark.ml.param.ParamMap.empty()).setSeed(seed)
            .fit(data);
        double trainSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        model.transform(data).agg(sum(col(SCORE))).first();
        double scoreSeconds = (System.nanoTime() - start) / 1e9;
        BinaryMetrics.Summary metrics = BinaryMetrics.summarize(model.transform(data), SCORE, LABEL);
        positives = metrics.positives();
        runs.add(new Run(seed, metrics.areaUnderRoc(), metrics.averagePrecision(), trainSeconds,
            rows / scoreSeconds));
      }
      return new Report(options.input(), rows, positives, features, options.trees(), options.samples(), runs);
    } finally {
      data.unpersist();
    }
  }

  private static List<String> chooseFeatures(Dataset<Row> table, String label, List<String> requested) {
    List<String> columns = Arrays.asList(table.columns());
    if (!columns.contains(label)) {
      throw new FraudLakeException("label column '" + label + "' not found; columns are " + String.join(", ", columns));
    }
    DataType labelType = table.schema().apply(label).dataType();
    if (!(labelType instanceof NumericType) && !(labelType instanceof BooleanType)) {
      throw new FraudLakeException("label column '" + label + "' must be numeric 0/1, not " + labelType.simpleString());
    }
    List<String> features = new ArrayList<>();
    if (requested == null || requested.isEmpty()) {
      for (String column : columns) {
        if (!column.equals(label) && table.schema().apply(column).dataType() instanceof NumericType) {
          features.add(column);
        }
      }
      if (features.isEmpty()) {
        throw new FraudLakeException("no numeric feature columns besides the label '" + label + "'");
      }
      return features;
    }
    for (String feature : requested) {
      if (!columns.contains(feature)) {
        throw new FraudLakeException("feature column '" + feature + "' not found; columns are "
            + String.join(", ", columns));
      }
      DataType type = table.schema().apply(feature).dataType();
      if (!(type instanceof NumericType)) {
        throw new FraudLakeException("feature column '" + feature + "' is " + type.simpleString()
            + ", not numeric; leave it out of --features");
      }
      if (feature.equals(label)) {
        throw new FraudLakeException("the label '" + label + "' cannot also be a feature");
      }
      features.add(feature);
    }
    return features;
  }

  private static void checkNoMissingValues(Dataset<Row> table, List<String> features) {
    Column[] counts = features.stream()
        .map(f -> sum(when(col(quoted(f)).isNull()
            .or(isnan(col(quoted(f)).cast("double")))
            .or(col(quoted(f)).cast("double").isin(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)), 1)
            .otherwise(0)).as(f))
        .toArray(Column[]::new);
    Row missing = table.agg(counts[0], Arrays.copyOfRange(counts, 1, counts.length)).first();
    for (int i = 0; i < features.size(); i++) {
      if (!missing.isNullAt(i) && missing.getLong(i) > 0) {
        throw new FraudLakeException("feature column '" + features.get(i) + "' has " + missing.getLong(i)
            + " null, NaN or infinite values; clean them or leave the column out with --features");
      }
    }
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElse(Double.NaN);
  }

  /** Sample standard deviation; 0 for a single run. */
  private static double std(double[] values) {
    if (values.length < 2) {
      return 0.0;
    }
    double mean = mean(values);
    double squares = Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
    return Math.sqrt(squares / (values.length - 1));
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }
}
