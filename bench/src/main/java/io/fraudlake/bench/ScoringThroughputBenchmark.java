package io.fraudlake.bench;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Scoring throughput, silver → foreachBatch → gold, through the production code path
 * (ScoringStream, idempotent appends, batch metrics):
 * (a) the Isolation Forest (200 trees, 256 samples) on {@code --rows} silver rows, available-now,
 * with feature drift measured against the training sample (fraud_feature_drift);
 * (a') the same forest without a feature reference, so without drift: what drift costs;
 * (b) the same pipeline with the model replaced by a constant-score copy: the engine floor.
 * End-to-end latency (landing → gold) is {@link PipelineLatencyBenchmark}.
 *
 * <p>Options: --rows 1000000 --files 20 --files-per-trigger 2 --repeat 2 --home DIR --master local[*]
 * --out FILE (one JSON object for bench/run).
 */
public final class ScoringThroughputBenchmark {
  private final Args args;
  private final Lakehouse lakehouse;
  private final SparkSession spark;

  private ScoringThroughputBenchmark(Args args, Lakehouse lakehouse) {
    this.args = args;
    this.lakehouse = lakehouse;
    this.spark = lakehouse.spark();
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Path home = Path.of(args.string("home", Files.createTempDirectory("fraudlake-bench-").toString()));
    FraudLakeConfig config = FraudLakeConfig.defaults(home, Map.of(
        "spark.master", "\"" + args.string("master", "local[*]") + "\"",
        "spark.console-progress", "false",
        "spark.conf.spark.ui.enabled", "false",
        "scoring.max-files-per-trigger", args.string("files-per-trigger", "2")));
    SparkSession spark = SparkSessions.getOrCreate(config);
    try {
      new ScoringThroughputBenchmark(args, new Lakehouse(spark, config)).run();
    } finally {
      spark.stop();
    }
  }

  private void run() throws Exception {
    long rows = args.longValue("rows", 1_000_000L);
    int files = args.intValue("files", 20);
    int repeat = args.intValue("repeat", 2);
    System.out.printf(Locale.ROOT, "ScoringThroughputBenchmark: %d silver rows in %d files, %s files per batch, master %s, %d cores%n",
        rows, files, args.string("files-per-trigger", "2"), spark.sparkContext().master(),
        Runtime.getRuntime().availableProcessors());
    BenchModels.silverRows(spark, rows, 0, 1_709_287_200L).repartition(files)
        .write().format("delta").mode("overwrite").save(lakehouse.path(Tables.SILVER).toString());
    ScoringModel forest = BenchModels.fitForest(lakehouse.read(Tables.SILVER).limit(100_000));
    ScoringModel copy = new ScoringModel(forest.name(), "copy", constantScore(), forest.signature(), "plain copy");
    ScoringModel noDrift = new ScoringModel(forest.name(), forest.version(), forest.transformer(), forest.signature(),
        "fitted in the benchmark, no feature reference");

    double scoring = 0;
    double withoutDrift = 0;
    double floor = 0;
    for (int i = 1; i <= repeat; i++) {
      floor = throughput("(b) plain copy   ", copy, rows, i);
      withoutDrift = throughput("(a') forest, no drift", noDrift, rows, i);
      scoring = throughput("(a) forest score ", forest, rows, i);
    }
    System.out.printf(Locale.ROOT, "RESULT throughput scoring %.0f rows/s, engine floor %.0f rows/s, ratio (a)/(b) %.1f%%%n",
        scoring, floor, 100 * scoring / floor);
    System.out.printf(Locale.ROOT, "RESULT drift: scoring %.0f rows/s with drift, %.0f rows/s without (%.1f%%)%n",
        scoring, withoutDrift, 100 * scoring / withoutDrift);
    if (args.has("out")) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("impl", "scoring_throughput");
      result.put("rows", rows);
      result.put("rounds", repeat);
      result.put("forest_rows_per_s_last_round", scoring);
      result.put("forest_without_drift_rows_per_s_last_round", withoutDrift);
      result.put("copy_rows_per_s_last_round", floor);
      result.put("ratio_a_over_b", scoring / floor);
      BenchFiles.writeJson(Path.of(args.required("out")), result);
    }
  }

  /** The scoring step replaced by a copy: same columns out, no model work. */
  private static Transformer constantScore() {
    return new SQLTransformer().setStatement("SELECT *, 0.5D AS fraud_score, false AS is_anomaly FROM __THIS__");
  }

  private double throughput(String label, ScoringModel model, long rows, int round) {
    BenchFiles.deleteFolder(lakehouse.path(Tables.GOLD));
    BenchFiles.deleteFolder(lakehouse.path(Tables.BATCH_METRICS));
    BenchFiles.deleteFolder(lakehouse.path(Tables.FEATURE_DRIFT));
    BenchFiles.deleteFolder(lakehouse.checkpoint(ScoringStream.QUERY_NAME));
    ScoringStatus status = ScoringStatus.silent();
    long started = System.nanoTime();
    StreamingQuery query = new ScoringStream(lakehouse, ProductionModel.load(BenchModels.fixed(model), Duration.ofDays(1)), status)
        .start(true);
    ScoringStream.await(query, status);
    double seconds = (System.nanoTime() - started) / 1e9;
    long written = lakehouse.read(Tables.GOLD).count();
    if (written != rows) {
      throw new IllegalStateException(label + ": gold holds " + written + " rows, expected " + rows);
    }
    double rate = rows / seconds;
    long driftRows = lakehouse.read(Tables.FEATURE_DRIFT).count();
    System.out.printf(Locale.ROOT, "%s round %d: %d rows in %d batches, %.1fs, %.0f rows/s, %d drift rows%n",
        label, round, rows, status.batches(), seconds, rate, driftRows);
    return rate;
  }
}
