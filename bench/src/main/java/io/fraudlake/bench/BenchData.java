package io.fraudlake.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The benchmark data set: rows shaped like FraudLake's eight fraud features, about 3.5% of them
 * fraud-like. Each row is a pure function of (seed, row index), so the CSV (for scikit-learn), the
 * Parquet (for both Spark runs) and the rows JMH scores in memory are the same numbers without any of
 * them reading the others, and the Parquet can be written in parallel.
 *
 * <p>Usage: {@code BenchData --rows N --out DIR} writes {@code DIR/features-N.csv} and
 * {@code DIR/features-N.parquet}.
 */
public final class BenchData {
  public static final long SEED = 20_240_611L;
  public static final double FRAUD_RATE = 0.035;
  public static final List<String> FEATURES = List.of(
      "amount", "log_amount", "is_high_value", "txn_count_5m",
      "mean_amount_5m", "std_amount_5m", "merchant_diversity_5m", "is_foreign");
  public static final String LABEL = "is_fraud";

  private BenchData() {}

  /** Features then the label (1.0 for the injected anomalies), for row {@code i}. */
  public static double[] row(long i) {
    SplittableRandom r = new SplittableRandom(mix(SEED + 0x9E3779B97F4A7C15L * (i + 1)));
    boolean fraud = r.nextDouble() < FRAUD_RATE;
    double amount = Math.exp(fraud ? 6.0 + 1.2 * r.nextGaussian() : 3.5 + 1.0 * r.nextGaussian());
    amount = Math.round(amount * 100.0) / 100.0;
    double logAmount = Math.log1p(amount);
    double highValue = amount >= 1000.0 ? 1.0 : 0.0;
    // A burst of card tests is what makes a short window's count, spread and merchant mix unusual.
    int count = fraud ? 4 + geometric(r, 0.12) : 1 + geometric(r, 0.55);
    double mean = fraud
        ? Math.exp(5.0 + 1.1 * r.nextGaussian())
        : amount * Math.exp(0.35 * r.nextGaussian());
    double std = count == 1 ? 0.0 : mean * Math.abs((fraud ? 0.9 : 0.25) + 0.15 * r.nextGaussian());
    int merchants = 1 + (int) Math.round((count - 1) * (fraud ? 0.6 + 0.4 * r.nextDouble() : 0.3 * r.nextDouble()));
    double diversity = (double) merchants / count;
    double foreign = r.nextDouble() < (fraud ? 0.45 : 0.04) ? 1.0 : 0.0;
    return new double[] {
        amount, logAmount, highValue, count,
        round4(mean), round4(std), round4(diversity), foreign, fraud ? 1.0 : 0.0};
  }

  /** Rows {@code [from, from + n)} without the label, as the raw scorer takes them. */
  public static double[][] features(long from, int n) {
    double[][] out = new double[n][];
    for (int k = 0; k < n; k++) {
      double[] full = row(from + k);
      double[] f = new double[FEATURES.size()];
      System.arraycopy(full, 0, f, 0, f.length);
      out[k] = f;
    }
    return out;
  }

  public static StructType schema() {
    List<StructField> fields = new ArrayList<>();
    for (String name : FEATURES) {
      fields.add(DataTypes.createStructField(name, DataTypes.DoubleType, false));
    }
    fields.add(DataTypes.createStructField(LABEL, DataTypes.DoubleType, false));
    return DataTypes.createStructType(fields);
  }

  /** {@code rows} rows in {@code partitions} partitions, generated on the executors. */
  public static org.apache.spark.sql.Dataset<Row> dataFrame(SparkSession spark, long rows, int partitions) {
    return spark.range(0, rows, 1, partitions)
        .map((MapFunction<Long, Row>) i -> {
          double[] v = row(i);
          Object[] boxed = new Object[v.length];
          for (int k = 0; k < v.length; k++) {
            boxed[k] = v[k];
          }
          return RowFactory.create(boxed);
        }, Encoders.row(schema()));
  }

  public static Path csvPath(Path dir, long rows) {
    return dir.resolve("features-" + rows + ".csv");
  }

  public static Path parquetPath(Path dir, long rows) {
    return dir.resolve("features-" + rows + ".parquet");
  }

  public static void main(String[] args) throws IOException {
    Args a = Args.parse(args);
    long rows = a.longValue("rows", 1_000_000L);
    Path dir = Path.of(a.string("out", "bench/work"));
    Files.createDirectories(dir);

    Path csv = csvPath(dir, rows);
    Path tmp = csv.resolveSibling(csv.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
      w.write(String.join(",", FEATURES) + "," + LABEL);
      w.newLine();
      StringBuilder line = new StringBuilder(128);
      for (long i = 0; i < rows; i++) {
        double[] v = row(i);
        line.setLength(0);
        for (int k = 0; k < v.length; k++) {
          if (k > 0) {
            line.append(',');
          }
          line.append(v[k]);
        }
        w.write(line.toString());
        w.newLine();
      }
    }
    Files.move(tmp, csv, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    SparkSession spark = Spark.localSession("bench-data");
    try {
      // Several files so a reader gets at least one split per core without a shuffle.
      dataFrame(spark, rows, 8).write().mode(SaveMode.Overwrite).parquet(parquetPath(dir, rows).toString());
    } finally {
      spark.stop();
    }
    System.out.println("wrote " + csv + " and " + parquetPath(dir, rows));
  }

  private static int geometric(SplittableRandom r, double p) {
    return (int) Math.floor(Math.log(1.0 - r.nextDouble()) / Math.log(1.0 - p));
  }

  private static double round4(double x) {
    return Math.round(x * 10_000.0) / 10_000.0;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
