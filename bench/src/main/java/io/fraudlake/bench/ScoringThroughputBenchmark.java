package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelSource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.FeatureReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Scoring throughput and latency, silver → foreachBatch → gold, through the production code path
 * (ScoringStream, idempotent appends, batch metrics):
 * (a) the Isolation Forest (200 trees, 256 samples) on {@code --rows} silver rows, available-now,
 * with feature drift measured against the training sample (fraud_feature_drift);
 * (a') the same forest without a feature reference, so without drift: what drift costs;
 * (b) the same pipeline with the model replaced by a constant-score copy: the engine floor;
 * (c) latency from a silver commit to the commit of its gold rows, with a {@code --trigger} trigger
 * and a producer appending {@code --rate} events per second for {@code --seconds}, with and without drift.
 *
 * <p>Options: --rows 1000000 --files 20 --files-per-trigger 2 --repeat 2 --rate 2000 --seconds 30
 * --trigger "1 second" --home DIR --master local[*].
 */
public final class ScoringThroughputBenchmark {
  private final Map<String, String> options;
  private final Lakehouse lakehouse;
  private final SparkSession spark;

  private ScoringThroughputBenchmark(Map<String, String> options, Lakehouse lakehouse) {
    this.options = options;
    this.lakehouse = lakehouse;
    this.spark = lakehouse.spark();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    Path home = options.containsKey("home") ? Path.of(options.get("home")) : Files.createTempDirectory("fraudlake-bench-");
    FraudLakeConfig config = FraudLakeConfig.defaults(home, Map.of(
        "spark.master", "\"" + options.getOrDefault("master", "local[*]") + "\"",
        "spark.console-progress", "false",
        "spark.conf.spark.ui.enabled", "false",
        "scoring.max-files-per-trigger", options.getOrDefault("files-per-trigger", "2"),
        "scoring.trigger", "\"" + options.getOrDefault("trigger", "1 second") + "\""));
    SparkSession spark = SparkSessions.getOrCreate(config);
    try {
      new ScoringThroughputBenchmark(options, new Lakehouse(spark, config)).run();
    } finally {
      spark.stop();
    }
  }

  private void run() throws Exception {
    long rows = Long.parseLong(options.getOrDefault("rows", "1000000"));
    int files = Integer.parseInt(options.getOrDefault("files", "20"));
    int repeat = Integer.parseInt(options.getOrDefault("repeat", "2"));
    System.out.printf(Locale.ROOT, "ScoringThroughputBenchmark: %d silver rows in %d files, %s files per batch, master %s, %d cores%n",
        rows, files, options.getOrDefault("files-per-trigger", "2"), spark.sparkContext().master(),
        Runtime.getRuntime().availableProcessors());
    writeSilver(rows, files, 0, Tables.SILVER);
    ScoringModel forest = fitForest();
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
    latency(forest);
    latency(noDrift);
  }

  /** Silver-shaped rows: raw columns and the 8 features with contract types, ~3.5% unusual. */
  private Dataset<Row> silverRows(long rows, long firstId, long epochSecond) {
    return spark.range(firstId, firstId + rows)
        .withColumn("odd", expr("rand(" + firstId + ") < 0.035"))
        .withColumn("TransactionAmt", expr("IF(odd, 2000 + rand(7) * 3000, 5 + rand(8) * 150)"))
        .select(
            expr("concat('t-', id)").as("TransactionID"),
            expr("timestamp_seconds(" + epochSecond + " + (id - " + firstId + ") / 2000.0)").as("event_timestamp"),
            expr("concat('card-', id % 5000)").as("card_id"),
            expr("IF(odd, 'C', 'W')").as("ProductCD"),
            expr("'US'").as("card_country"),
            expr("IF(odd, 'NG', 'US')").as("merchant_country"),
            expr("CAST(odd AS INT)").as("isFraud"),
            col("TransactionAmt"),
            expr("ln(1 + TransactionAmt)").as("log_transaction_amount"),
            expr("CAST(TransactionAmt > 1000 AS INT)").as("is_high_value_txn"),
            expr("CAST(odd AS INT)").as("is_international_txn"),
            expr("CAST(IF(odd, 6 + rand(9) * 5, 1 + rand(10) * 3) AS BIGINT)").as("txn_count_5min"),
            expr("TransactionAmt * (0.8 + rand(11) * 0.4)").as("avg_amount_5min"),
            expr("IF(odd, rand(12) * 500, rand(13) * 20)").as("stddev_amount_5min"),
            expr("CAST(IF(odd, 3, 1) AS BIGINT)").as("product_diversity_5min"));
  }

  private void writeSilver(long rows, int files, long firstId, String table) {
    silverRows(rows, firstId, 1_709_287_200L).repartition(files)
        .write().format("delta").mode("overwrite").save(lakehouse.path(table).toString());
  }

  private ScoringModel fitForest() {
    long started = System.nanoTime();
    VectorAssembler assembler = new VectorAssembler().setInputCols(GoldSchema.FEATURES.fieldNames()).setOutputCol("raw_features");
    StandardScaler scaler = new StandardScaler().setInputCol("raw_features").setOutputCol("features");
    IsolationForest forest = new IsolationForest().setNumTrees(200).setMaxSamples(256).setContamination(0.035).setSeed(42)
        .setFeaturesCol("features");
    Dataset<Row> sample = lakehouse.read(Tables.SILVER).limit(100_000);
    Transformer model = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, forest}).fit(sample);
    FeatureReference reference = FeatureReference.compute(sample, ModelFeatures.NAMES, 10);
    System.out.printf(Locale.ROOT, "fitted the forest (200 trees, 256 samples) in %.1fs%n", (System.nanoTime() - started) / 1e9);
    return new ScoringModel("fraud_isolation_forest", "bench", model, GoldSchema.FEATURES, "fitted in the benchmark",
        Optional.of(reference));
  }

  /** The scoring step replaced by a copy: same columns out, no model work. */
  private static Transformer constantScore() {
    return new SQLTransformer().setStatement("SELECT *, 0.5D AS fraud_score, false AS is_anomaly FROM __THIS__");
  }

  private double throughput(String label, ScoringModel model, long rows, int round) {
    clearOutputs();
    ScoringStatus status = ScoringStatus.silent();
    long started = System.nanoTime();
    StreamingQuery query = new ScoringStream(lakehouse, ProductionModel.load(fixed(model), Duration.ofDays(1)), status).start(true);
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

  /**
   * A producer commits {@code rate} rows to silver every second; the stream runs with the
   * configured trigger. Latency of a row = commit time of its gold rows − commit time of its
   * silver rows, both read from Delta's change data feed.
   */
  private void latency(ScoringModel model) throws Exception {
    int rate = Integer.parseInt(options.getOrDefault("rate", "2000"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    clearOutputs();
    deleteFolder(lakehouse.path(Tables.SILVER));
    silverRows(1, 0, System.currentTimeMillis() / 1000).limit(0).write().format("delta")
        .option("delta.enableChangeDataFeed", "true").save(lakehouse.path(Tables.SILVER).toString());
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    spark.sql("ALTER TABLE delta.`" + lakehouse.path(Tables.GOLD) + "` SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    ScoringStatus status = ScoringStatus.silent();
    StreamingQuery query = new ScoringStream(lakehouse, ProductionModel.load(fixed(model), Duration.ofDays(1)), status).start(false);
    long next = System.nanoTime();
    for (int s = 0; s < seconds; s++) {
      silverRows(rate, 1_000_000_000L + (long) s * rate, System.currentTimeMillis() / 1000).coalesce(1)
          .write().format("delta").mode("append").save(lakehouse.path(Tables.SILVER).toString());
      next += 1_000_000_000L;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
    }
    long expected = (long) rate * seconds;
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (status.rows() < expected && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    query.stop();
    Dataset<Row> silverCommits = spark.read().format("delta").option("readChangeFeed", "true").option("startingVersion", 0)
        .load(lakehouse.path(Tables.SILVER).toString()).select(col("TransactionID"), col("_commit_timestamp").as("silver_at"));
    Dataset<Row> goldCommits = spark.read().format("delta").option("readChangeFeed", "true").option("startingVersion", 0)
        .load(lakehouse.path(Tables.GOLD).toString()).select(col("TransactionID"), col("_commit_timestamp").as("gold_at"));
    Row p = silverCommits.join(goldCommits, "TransactionID")
        .select(expr("(unix_millis(gold_at) - unix_millis(silver_at)) / 1000.0").as("latency"))
        .agg(expr("count(1)"), expr("percentile(latency, 0.5)"), expr("percentile(latency, 0.95)"), expr("max(latency)"))
        .first();
    System.out.printf(Locale.ROOT, "RESULT latency silver commit → gold commit at %d events/s for %ds, trigger %s, %s: "
            + "%d rows, p50 %.2fs, p95 %.2fs, max %.2fs (%d batches, %d drift rows)%n",
        rate, seconds, options.getOrDefault("trigger", "1 second"), model.featureReference().isPresent() ? "drift" : "no drift",
        p.getLong(0), p.getDouble(1), p.getDouble(2), p.getDouble(3), status.batches(), lakehouse.read(Tables.FEATURE_DRIFT).count());
  }

  private void clearOutputs() {
    deleteFolder(lakehouse.path(Tables.GOLD));
    deleteFolder(lakehouse.path(Tables.BATCH_METRICS));
    deleteFolder(lakehouse.path(Tables.FEATURE_DRIFT));
    deleteFolder(lakehouse.checkpoint(ScoringStream.QUERY_NAME));
  }

  private static ModelSource fixed(ScoringModel model) {
    return new ModelSource() {
      @Override
      public String describe() {
        return model.origin();
      }

      @Override
      public String currentVersion() {
        return model.version();
      }

      @Override
      public ScoringModel load(String version) {
        return model;
      }
    };
  }

  private static void deleteFolder(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    List<String> list = Arrays.asList(args);
    for (int i = 0; i < list.size(); i++) {
      String arg = list.get(i);
      if (!arg.startsWith("--") || i + 1 >= list.size()) {
        throw new IllegalArgumentException("usage: --name value ..., got " + arg);
      }
      options.put(arg.substring(2), list.get(++i));
    }
    return options;
  }
}
