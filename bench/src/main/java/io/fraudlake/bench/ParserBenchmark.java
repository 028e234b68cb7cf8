package io.fraudlake.bench;

import static org.apache.spark.sql.functions.lit;

import io.fraudlake.bronze.BronzeParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Bronze's parser on one core: --lines JSON lines (the latency benchmark's events, half with epoch
 * milliseconds and half with ISO-8601 times, and --bad-percent of them damaged) parsed in one task
 * by the general path alone (a VARIANT per line) and by the parser as it ships (clean events in one
 * pass, the rest by the general path), alternately, --warmup rounds then --reps timed rounds each.
 * Reports lines/s of both and their ratio.
 *
 * <p>Options: --lines 200000 --bad-percent 1 --warmup 2 --reps 5 --out FILE.
 */
public final class ParserBenchmark {
  private ParserBenchmark() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int lines = args.intValue("lines", 200_000);
    int badPercent = args.intValue("bad-percent", 1);
    int warmup = args.intValue("warmup", 2);
    int reps = args.intValue("reps", 5);
    Path file = Files.createTempFile("fraudlake-parser-", ".jsonl");
    try {
      Files.writeString(file, lines(lines, badPercent));
      SparkSession spark = Spark.localSession("parser-benchmark");
      Dataset<Row> input = spark.read().text(file.toString()).coalesce(1).withColumn("source_file", lit(file.toString()));
      List<Double> general = new ArrayList<>();
      List<Double> shipped = new ArrayList<>();
      for (int round = 0; round < warmup + reps; round++) {
        double generalSeconds = parseSeconds(input, false);
        double shippedSeconds = parseSeconds(input, true);
        System.err.printf(Locale.ROOT, "%s round %d: general path %.2f s, as shipped %.2f s%n",
            round < warmup ? "warm-up" : "timed", round, generalSeconds, shippedSeconds);
        if (round >= warmup) {
          general.add(generalSeconds);
          shipped.add(shippedSeconds);
        }
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("impl", "parser");
      result.put("lines", lines);
      result.put("bad_percent", badPercent);
      result.put("general_path_lines_per_s", Math.round(lines / Measurement.median(general)));
      result.put("shipped_lines_per_s", Math.round(lines / Measurement.median(shipped)));
      result.put("speedup", Measurement.median(general) / Measurement.median(shipped));
      result.put("general_path_us_per_line", Measurement.median(general) * 1e6 / lines);
      result.put("shipped_us_per_line", Measurement.median(shipped) * 1e6 / lines);
      BenchFiles.writeJson(Path.of(args.required("out")), result);
      System.out.println(result);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static double parseSeconds(Dataset<Row> input, boolean cleanPath) {
    long start = System.nanoTime();
    BronzeParser.parse(input, lit(null).cast(DataTypes.TimestampType), cleanPath)
        .write().format("noop").mode("overwrite").save();
    return (System.nanoTime() - start) / 1e9;
  }

  private static String lines(int count, int badPercent) {
    Random random = new Random(7);
    StringBuilder out = new StringBuilder();
    long start = 1_765_000_000_000L;
    for (int i = 0; i < count; i++) {
      long millis = start + i;
      String time = i % 2 == 0 ? Long.toString(millis) : "\"" + java.time.Instant.ofEpochMilli(millis) + "\"";
      String line = String.format(Locale.ROOT,
          "{\"TransactionID\":\"p-%d\",\"event_timestamp\":%s,\"card_id\":\"card-%d\",\"TransactionAmt\":%.2f,"
              + "\"ProductCD\":\"W\",\"card_country\":\"US\",\"merchant_country\":\"%s\"}",
          i, time, random.nextInt(20_000), random.nextDouble() * 500, random.nextBoolean() ? "US" : "FR");
      if (random.nextInt(100) < badPercent) {
        line = line.replace("\"TransactionAmt\":", "\"TransactionAmt\":-");
      }
      out.append(line).append('\n');
    }
    return out.toString();
  }
}
