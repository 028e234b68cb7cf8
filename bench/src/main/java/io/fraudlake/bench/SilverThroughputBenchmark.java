package io.fraudlake.bench;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Throughput of landing → bronze → silver on one machine: generates N rows (default 1,000,000),
 * ingests them into bronze (available-now stream), then builds silver twice from the same bronze,
 * as a batch and as an available-now stream, and prints rows/s for each step.
 *
 * <p>Arguments: {@code [rows] [runtime folder]}; the folder defaults to a fresh temporary one.
 */
public final class SilverThroughputBenchmark {
  private SilverThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 1_000_000L;
    Path home = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("fraudlake-bench-");
    FraudLakeConfig config = FraudLakeConfig.defaults(home, Map.of(
        "spark.console-progress", "false",
        "spark.conf", "{ \"spark.databricks.delta.snapshotPartitions\" = \"4\", \"spark.ui.enabled\" = \"false\" }"));
    SparkSession spark = SparkSessions.getOrCreate(config);
    spark.sparkContext().setLogLevel("WARN");
    Lakehouse lakehouse = new Lakehouse(spark, config);
    System.out.printf(Locale.ROOT, "benchmark: %,d rows, Spark %s, master %s, %d cores, runtime folder %s%n", rows,
        spark.version(), spark.sparkContext().master(), Runtime.getRuntime().availableProcessors(), home);

    long t0 = System.nanoTime();
    GeneratorOptions options = GeneratorOptions.of(rows, Instant.parse("2024-03-10T00:00:00Z"), 42);
    new TransactionGenerator(options).writeTo(config.landingDir(), "bench");
    report("generate (JSON lines)", rows, t0);

    t0 = System.nanoTime();
    BronzeStats bronze = new BronzeJob(lakehouse).runAvailableNow();
    report("bronze (landing -> bronze, --once)", bronze.written() + bronze.quarantined(), t0);

    t0 = System.nanoTime();
    SilverStats batch = new SilverJob(lakehouse).runBatch("silver_benchmark_batch");
    report("silver batch (bronze -> silver)", batch.input(), t0);

    t0 = System.nanoTime();
    SilverJob stream = new SilverJob(lakehouse);
    SilverStats streamed = stream.runAvailableNow();
    report("silver stream (bronze -> silver, --once)", streamed.input(), t0);
    System.out.printf(Locale.ROOT, "silver stream: %,d written, %,d waiting for the watermark, %d micro-batches%n",
        streamed.written(), stream.pendingCount(), streamed.batches());
    long equal = lakehouse.read(Tables.SILVER).exceptAll(lakehouse.read("silver_benchmark_batch")).count();
    System.out.printf(Locale.ROOT, "stream rows differing from batch: %,d%n", equal);
    spark.stop();
  }

  private static void report(String step, long rows, long startNanos) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.printf(Locale.ROOT, "%-42s %,12d rows %8.1f s %,12.0f rows/s%n", step, rows, seconds, rows / seconds);
  }
}
