package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.randn;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.timestamp_micros;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.maintenance.MaintenanceReport;
import io.fraudlake.maintenance.TableMaintenance;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.spark.DeltaCheckpoints;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import io.fraudlake.sql.SqlRunner;
import io.fraudlake.sql.SqlScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * A simulated day of streaming into gold and the monitoring tables, then the dashboard queries of
 * {@code notebooks/fraud_dashboard.sql} timed before and after {@code maintain}, beside the same rows
 * written once into freshly created tables and OPTIMIZEd: the ideal layout.
 *
 * <p>Each micro-batch appends, as the scoring stream does, one file of --rows-per-batch gold rows
 * (event times spread evenly over the batch's share of 24 hours, --cards cards, about 3.5% alerts), one
 * batch-metrics row and 8 feature-drift rows, each an exactly-once Delta append ({@code
 * DeltaWrites}) to a table created by the jobs' own code (clustered, compacted beside the stream every
 * {@code lakehouse.compact-every} commits, checkpointed off the write path). The three appends of a
 * batch run side by side, as the stream's do. Every 100 batches the tables' file counts are recorded.
 *
 * <p>Then: the notebook's queries (alerts per hour, top suspicious transactions, one card's history,
 * drift per feature), each run once untimed and --reps 5 times timed (median); {@code maintain}
 * (layout, OPTIMIZE, VACUUM, checkpoint); the queries again; and the same rows copied in one commit
 * per table into a second lakehouse and OPTIMIZEd, where the queries are timed a third time.
 *
 * <p>Options: --conf FILE (default: the built-in defaults) --home DIR --batches 2000 --rows-per-batch 500
 * --cards 20000 --reps 5 --out FILE (JSON) --markdown FILE.
 */
public final class TableMaintenanceBenchmark {
  private static final Instant DAY = Instant.parse("2026-12-01T00:00:00Z");
  private static final String WRITER = "bench-stream";
  private static final List<String> QUERIES = List.of("alerts per hour", "top suspicious", "card history", "drift per feature");
  private static final List<String> MEASURED = List.of(Tables.GOLD, Tables.BATCH_METRICS, Tables.FEATURE_DRIFT);
  private static final Map<String, org.apache.spark.sql.types.StructType> SCHEMAS = Map.of(Tables.GOLD, GoldSchema.PREDICTIONS,
      Tables.BATCH_METRICS, GoldSchema.BATCH_METRICS, Tables.FEATURE_DRIFT, GoldSchema.FEATURE_DRIFT);

  private TableMaintenanceBenchmark() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int batches = args.intValue("batches", 2000);
    int rowsPerBatch = args.intValue("rows-per-batch", 500);
    int cards = args.intValue("cards", 20_000);
    int reps = args.intValue("reps", 5);
    Path home = Path.of(args.required("home"));
    Path notebook = Path.of(args.string("notebook", "notebooks/fraud_dashboard.sql"));
    FraudLakeConfig config = config(args, home.resolve("streamed"));
    SparkSession spark = SparkSessions.getOrCreate(config);
    Lakehouse lakehouse = new Lakehouse(spark, config);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("impl", "table_maintenance");
    result.put("batches", batches);
    result.put("rows_per_batch", rowsPerBatch);
    result.put("cards", cards);
    result.put("compact_every", lakehouse.compactEvery());
    result.put("load_before", loadAverage());

    for (String table : MEASURED) {
      lakehouse.createIfMissing(table, SCHEMAS.get(table));
    }
    Map<String, Long> maxFiles = new LinkedHashMap<>();
    List<Map<String, Object>> fileCounts = new ArrayList<>();
    double secondsPerBatch = 86_400.0 / batches;
    long started = System.nanoTime();
    for (int b = 0; b < batches; b++) {
      long batch = b;
      CompletableFuture<Boolean> metrics = CompletableFuture.supplyAsync(() -> DeltaWrites.appendOnce(lakehouse,
          metricsRow(spark, batch, rowsPerBatch, secondsPerBatch), Tables.BATCH_METRICS, WRITER, batch));
      CompletableFuture<Boolean> drift = CompletableFuture.supplyAsync(() -> DeltaWrites.appendOnce(lakehouse,
          driftRows(spark, batch, rowsPerBatch, secondsPerBatch), Tables.FEATURE_DRIFT, WRITER, batch));
      DeltaWrites.appendOnce(lakehouse, goldRows(spark, batch, rowsPerBatch, cards, secondsPerBatch), Tables.GOLD, WRITER, batch);
      metrics.join();
      drift.join();
      if ((b + 1) % 100 == 0 || b + 1 == batches) {
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("batch", b + 1);
        for (String table : MEASURED) {
          long files = numFiles(lakehouse, table);
          counts.put(table, files);
          maxFiles.merge(table, files, Math::max);
        }
        fileCounts.add(counts);
        System.out.printf(Locale.ROOT, "%d batches in %.0f s, files %s%n", b + 1, (System.nanoTime() - started) / 1e9, counts);
      }
    }
    DeltaCheckpoints.awaitQueued(Duration.ofMinutes(10));
    result.put("streaming_seconds", (System.nanoTime() - started) / 1e9);
    result.put("file_counts", fileCounts);
    result.put("max_files_while_streaming", maxFiles);

    List<String> statements = SqlScript.statements(SqlRunner.readFile(notebook));
    Map<String, Double> before = timeQueries(lakehouse, statements, reps);
    MaintenanceReport report = new TableMaintenance(lakehouse).run(List.of(), true);
    System.out.print(report.text());
    Map<String, Double> after = timeQueries(lakehouse, statements, reps);

    FraudLakeConfig idealConfig = config(args, home.resolve("ideal"));
    Lakehouse ideal = new Lakehouse(spark, idealConfig);
    long copyStarted = System.nanoTime();
    for (String table : MEASURED) {
      ideal.createIfMissing(table, SCHEMAS.get(table));
      lakehouse.read(table).write().format("delta").mode("append").save(ideal.path(table).toString());
      new TableMaintenance(ideal).optimize(table);
    }
    result.put("ideal_write_seconds", (System.nanoTime() - copyStarted) / 1e9);
    Map<String, Double> best = timeQueries(ideal, statements, reps);

    result.put("maintain_seconds", report.seconds());
    for (MaintenanceReport.TableReport t : report.tables()) {
      result.put(t.table() + "_files_before", t.filesBefore());
      result.put(t.table() + "_files_after", t.filesAfter());
      result.put(t.table() + "_bytes_before", t.bytesBefore());
      result.put(t.table() + "_bytes_after", t.bytesAfter());
      result.put(t.table() + "_maintain_seconds", t.seconds());
    }
    for (String table : MEASURED) {
      result.put(table + "_ideal_files", numFiles(ideal, table));
    }
    for (String q : QUERIES) {
      String key = q.replace(' ', '_');
      result.put(key + "_before_ms", before.get(q));
      result.put(key + "_after_ms", after.get(q));
      result.put(key + "_ideal_ms", best.get(q));
      result.put(key + "_after_over_ideal", after.get(q) / best.get(q));
    }
    result.put("load_after", loadAverage());
    String markdown = markdown(result, before, after, best, report, ideal);
    System.out.println(markdown);
    if (args.has("out")) {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(args.required("out")).toFile(), result);
    }
    if (args.has("markdown")) {
      Files.writeString(Path.of(args.required("markdown")), markdown);
    }
    spark.stop();
  }

  private static FraudLakeConfig config(Args args, Path home) {
    return args.has("conf") ? FraudLakeConfig.load(Path.of(args.required("conf")), home, Map.of()) : FraudLakeConfig.defaults(home);
  }

  /** One micro-batch's gold rows, one file: the batch's share of the day, cards drawn by hash, scores drawn at random. */
  private static Dataset<Row> goldRows(SparkSession spark, long batch, int rows, int cards, double secondsPerBatch) {
    long startMicros = DAY.toEpochMilli() * 1000 + (long) (batch * secondsPerBatch * 1e6);
    long stepMicros = (long) (secondsPerBatch * 1e6 / rows);
    return spark.range(0, rows, 1, 1).select(
        concat(lit("t" + batch + "-"), col("id").cast("string")).as(GoldSchema.TRANSACTION_ID),
        timestamp_micros(lit(startMicros).plus(col("id").multiply(stepMicros))).as(GoldSchema.EVENT_TIMESTAMP),
        round(exp(randn(batch).plus(3.5)), 2).as(GoldSchema.AMOUNT),
        rand(batch + 1).multiply(0.5).plus(0.3).as(GoldSchema.SCORE),
        concat(lit("card-"), pmod(xxhash64(col("id"), lit(batch)), lit(cards)).cast("string")).as(GoldSchema.CARD_ID))
        .select(col(GoldSchema.TRANSACTION_ID), col(GoldSchema.EVENT_TIMESTAMP), col(GoldSchema.AMOUNT), col(GoldSchema.SCORE),
            col(GoldSchema.SCORE).geq(0.7825).as(GoldSchema.IS_ANOMALY), col(GoldSchema.CARD_ID),
            lit("fraud_isolation_forest").as(GoldSchema.MODEL_NAME), lit("1").as(GoldSchema.MODEL_VERSION),
            timestamp_micros(lit(startMicros + (long) ((secondsPerBatch + 1) * 1e6))).as(GoldSchema.SCORED_AT));
  }

  private static Dataset<Row> metricsRow(SparkSession spark, long batch, int rows, double secondsPerBatch) {
    Timestamp from = at(batch * secondsPerBatch);
    Timestamp to = at((batch + 1) * secondsPerBatch);
    return spark.createDataFrame(List.of(RowFactory.create(WRITER, batch, (long) rows, (long) (rows * 0.035), 0.035, 0.47,
        "fraud_isolation_forest", "1", 0.8, from, to, 1.5, at((batch + 1) * secondsPerBatch + 1))), GoldSchema.BATCH_METRICS);
  }

  private static Dataset<Row> driftRows(SparkSession spark, long batch, int rows, double secondsPerBatch) {
    List<Row> rowsOut = new ArrayList<>();
    Double[] shares = new Double[10];
    Arrays.fill(shares, 0.1);
    int f = 0;
    for (String feature : ModelFeatures.NAMES) {
      double psi = 0.02 + ((batch * 31 + f++) % 100) / 400.0;
      rowsOut.add(RowFactory.create(WRITER, batch, "fraud_isolation_forest", "1", feature, (long) rows, psi, 0.2, psi >= 0.2,
          1.0, 1.0, Arrays.asList(shares), Arrays.asList(shares), at(batch * secondsPerBatch), at((batch + 1) * secondsPerBatch),
          at((batch + 1) * secondsPerBatch + 1)));
    }
    return spark.createDataFrame(rowsOut, GoldSchema.FEATURE_DRIFT);
  }

  private static Timestamp at(double secondsIntoDay) {
    return Timestamp.from(DAY.plusMillis((long) (secondsIntoDay * 1000)));
  }

  private static long numFiles(Lakehouse lakehouse, String table) {
    return lakehouse.deltaTable(table).detail().select("numFiles").first().getLong(0);
  }

  /**
   * The notebook against {@code lakehouse}'s tables: its variables declared and set, then each query once
   * untimed and {@code reps} times timed; the median milliseconds per query.
   */
  private static Map<String, Double> timeQueries(Lakehouse lakehouse, List<String> statements, int reps) {
    lakehouse.registerTables();
    List<String> queries = new ArrayList<>();
    for (String statement : statements) {
      String head = statement.trim().toUpperCase(Locale.ROOT);
      if (head.startsWith("DECLARE") || head.startsWith("SET VAR")) {
        lakehouse.spark().sql(statement).collectAsList();
      } else {
        queries.add(statement);
      }
    }
    if (queries.size() != QUERIES.size()) {
      throw new IllegalStateException("the notebook has " + queries.size() + " queries, not " + QUERIES.size());
    }
    Map<String, Double> medians = new LinkedHashMap<>();
    for (int q = 0; q < queries.size(); q++) {
      lakehouse.spark().sql(queries.get(q)).collectAsList();
      double[] ms = new double[reps];
      for (int r = 0; r < reps; r++) {
        long t = System.nanoTime();
        lakehouse.spark().sql(queries.get(q)).collectAsList();
        ms[r] = (System.nanoTime() - t) / 1e6;
      }
      Arrays.sort(ms);
      medians.put(QUERIES.get(q), ms[reps / 2]);
    }
    return medians;
  }

  private static String markdown(Map<String, Object> result, Map<String, Double> before, Map<String, Double> after,
      Map<String, Double> ideal, MaintenanceReport report, Lakehouse idealLakehouse) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "%s micro-batches of %s gold rows (a simulated day), streamed in %.0f s; maintain %.1f s; "
            + "load %s before, %s after%n%n", result.get("batches"), result.get("rows_per_batch"), (Double) result.get("streaming_seconds"),
        report.seconds(), result.get("load_before"), result.get("load_after")));
    md.append("| query | before maintain | after maintain | ideal (written once, OPTIMIZEd) | after / ideal |\n");
    md.append("|---|---:|---:|---:|---:|\n");
    for (String q : QUERIES) {
      md.append(String.format(Locale.ROOT, "| %s | %.0f ms | %.0f ms | %.0f ms | %.2f |%n", q, before.get(q), after.get(q), ideal.get(q),
          after.get(q) / ideal.get(q)));
    }
    md.append("\n| table | most files while streaming | files before maintain | after | ideal | bytes before → after |\n");
    md.append("|---|---:|---:|---:|---:|---|\n");
    @SuppressWarnings("unchecked")
    Map<String, Long> maxFiles = (Map<String, Long>) result.get("max_files_while_streaming");
    for (String table : MEASURED) {
      MaintenanceReport.TableReport t = report.table(table);
      md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d → %,d |%n", table, maxFiles.get(table), t.filesBefore(),
          t.filesAfter(), numFiles(idealLakehouse, table), t.bytesBefore(), t.bytesAfter()));
    }
    return md.toString();
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
