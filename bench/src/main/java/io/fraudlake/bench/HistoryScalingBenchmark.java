package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverState;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.FeatureReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
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
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StateOperatorProgress;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Does the cost of a micro-batch grow with history? For each history size N (--sizes, default
 * 1,000,000 and 10,000,000 events), a lakehouse is given N events of history through the real
 * engine, then one increment of --increment (10,000) new events is timed, for the two streams that
 * run the silver engine ({@code io.fraudlake.silver.SilverEngine}):
 * <ul>
 *   <li>{@code run} ({@link LivePipeline}): landing → bronze, quarantine, silver, gold. History is
 *       seeded by {@code run} itself from landed JSON-lines files. Measured in a fresh process: the
 *       start-up (from {@code LivePipeline.start} until its first batch, over a small file of
 *       --startup-events, has completed), then --increments increments, each one file renamed into
 *       landing and timed until gold has committed it (the data batch and the no-data batch that
 *       lets the watermark pass it); driver heap after a full GC and the process's resident memory.
 *   <li>{@code silver} ({@link SilverJob}): bronze (fed by the {@code bronze} stream) → silver. History
 *       is seeded by the {@code bronze} and {@code silver} streams. Measured in a fresh process, as
 *       for {@code run}: the start-up (from {@code SilverJob.start} until its first batch, over
 *       --startup-events waiting in bronze, has completed), then --increments increments into the
 *       running stream, each ingested into bronze (not timed) and timed as the stream's batches that
 *       read it plus the no-data batch that lets the watermark pass it.
 * </ul>
 * Both report the state store of the query's checkpoint: bytes on disk under {@code <checkpoint>/state},
 * the last progress's {@code numRowsTotal}, {@code memoryUsedBytes} and RocksDB metrics, and per card,
 * per state row and per event of the last window (window + lateness); with --state-breakdown, the rows
 * of each state variable (Spark's state data source).
 *
 * <p>Sizes are done in increasing order on the same two lakehouses under --work: each seeding extends
 * the history to the next size (the increments of the smaller size are part of the larger history).
 * Every seeding and every measurement runs in its own JVM (this one's flags and class path), so a
 * measurement starts from the checkpoint as a restarted {@code run} or {@code silver --once} does,
 * and its heap holds nothing of the seeding.
 *
 * <p>Options: --sizes 1000000,10000000 (k and M suffixes allowed) --streams run,silver --cards 20000
 * --rate 2000 (events per second of event time) --file-rows 1000 (events per landed file)
 * --seed-batch-files 50 (landed files per micro-batch while seeding) --increment 10000 --increments 3
 * --startup-events 100 --state-breakdown true --conf FILE --set "key=value;key=value" (configuration
 * overrides, e.g. features.dedupe-horizon=1h) --work DIR --out FILE (one flat JSON object) --markdown FILE.
 */
public final class HistoryScalingBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> PASSED_ON = List.of("conf", "model-dir", "cards", "rate", "file-rows", "seed-batch-files", "increment",
      "increments", "startup-events", "state-breakdown", "set");

  private HistoryScalingBenchmark() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    String phase = args.string("phase", "all");
    if (phase.equals("all")) {
      orchestrate(args);
      return;
    }
    try {
      Map<String, Object> result = runPhase(args, phase, Path.of(args.required("home")));
      JSON.writerWithDefaultPrettyPrinter().writeValue(Path.of(args.required("out")).toFile(), result);
    } finally {
      stopSpark();
    }
  }

  /** Runs one phase on the lakehouse in {@code home}, in the session of this process (created if none). */
  private static Map<String, Object> runPhase(Args args, String phase, Path home) throws Exception {
    String seedFiles = args.string("seed-batch-files", "50");
    return switch (phase) {
      case "seed-run" -> seedRun(args, lakehouse(args, home, Map.of("landing.max-files-per-trigger", seedFiles)));
      case "measure-run" -> measureRun(args, lakehouse(args, home, Map.of()));
      case "seed-silver" -> seedSilver(args, lakehouse(args, home, Map.of("landing.max-files-per-trigger", seedFiles)));
      // The stream's trigger as run's, so both are measured with their batches back to back.
      case "measure-silver" -> measureSilver(args, lakehouse(args, home, Map.of("silver.trigger", "200 milliseconds")));
      default -> throw new IllegalArgumentException("unknown --phase " + phase);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The parent process: one child JVM per seeding and per measurement, then the report.

  private static void orchestrate(Args args) throws Exception {
    List<Long> sizes = Arrays.stream(args.string("sizes", "1000000,10000000").split(","))
        .map(String::trim).map(HistoryScalingBenchmark::parseCount).sorted().distinct().toList();
    List<String> streams = Arrays.stream(args.string("streams", "run,silver").split(",")).map(String::trim).toList();
    for (String s : streams) {
      if (!s.equals("run") && !s.equals("silver")) {
        throw new IllegalArgumentException("--streams takes run and/or silver, got " + s);
      }
    }
    Path work = Path.of(args.string("work", Files.createTempDirectory("fraudlake-history-").toString())).toAbsolutePath();
    if (!args.has("model-dir")) {
      args = args.with("model-dir", work.resolve("model").toString());
    }
    double rate = Double.parseDouble(args.string("rate", "2000"));
    int increment = args.intValue("increment", 10_000);
    int increments = args.intValue("increments", 3);
    int startup = args.intValue("startup-events", 100);
    // Every event time in the past (bronze quarantines events more than a day ahead of their ingest),
    // ending about an hour ago after the largest history and every increment.
    long totalEvents = sizes.get(sizes.size() - 1) + (long) sizes.size() * ((long) (increments + 1) * increment + startup);
    long startMs = (System.currentTimeMillis() - (long) Math.ceil(totalEvents * 1000.0 / rate) - 3_600_000L) / 1000 * 1000;
    String loadBefore = PipelineLatencyBenchmark.loadAverage();
    long began = System.nanoTime();
    System.out.printf(Locale.ROOT, "HistoryScalingBenchmark: sizes %s, streams %s, %s cards, %.0f events/s of event time from %s, "
            + "files of %s events, increment %,d x %d, %d cores, load %s, work %s%n",
        sizes, streams, args.string("cards", "20000"), rate, Instant.ofEpochMilli(startMs), args.string("file-rows", "1000"),
        increment, increments, Runtime.getRuntime().availableProcessors(), loadBefore, work);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("impl", "history_scaling");
    result.put("sizes", sizes.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse(""));
    result.put("streams", String.join(",", streams));
    result.put("cards", args.intValue("cards", 20_000));
    result.put("rate_events_per_s", rate);
    result.put("file_rows", args.intValue("file-rows", 1000));
    result.put("seed_batch_files", args.intValue("seed-batch-files", 50));
    result.put("increment_events", increment);
    result.put("increments", increments);
    result.put("startup_events", startup);
    result.put("overrides", args.string("set", ""));
    result.put("jvm", args.string("jvm", "per-phase"));
    Map<String, Map<Long, Map<String, Object>>> measured = new LinkedHashMap<>();
    for (long size : sizes) {
      for (String stream : streams) {
        Path home = work.resolve(stream);
        Map<String, Object> m = new LinkedHashMap<>(phase(args, "seed-" + stream, home, size, startMs, work));
        m.putAll(phase(args, "measure-" + stream, home, size, startMs, work));
        measured.computeIfAbsent(stream, s -> new LinkedHashMap<>()).put(size, m);
        m.forEach((k, v) -> result.put(stream + "_" + size + "_" + k, v));
      }
    }
    long first = sizes.get(0);
    long last = sizes.get(sizes.size() - 1);
    if (sizes.size() > 1) {
      result.put("ratio_sizes", last + "/" + first);
      for (String stream : streams) {
        Map<Long, Map<String, Object>> bySize = measured.get(stream);
        List<String> keys = stream.equals("run")
            ? List.of("increment_s", "increment_wall_s", "startup_s", "startup_all_s", "heap_after_gc_mb", "state_disk_bytes")
            : List.of("increment_s", "startup_s", "heap_after_gc_mb", "state_disk_bytes");
        for (String k : keys) {
          Double a = number(bySize.get(first).get(k));
          Double b = number(bySize.get(last).get(k));
          result.put("ratio_" + stream + "_" + k, a == null || b == null || a == 0 ? null : b / a);
        }
      }
    }
    result.put("load_before", loadBefore);
    result.put("load_after", PipelineLatencyBenchmark.loadAverage());
    result.put("total_s", (System.nanoTime() - began) / 1e9);
    stopSpark();
    String markdown = markdown(result, measured, sizes, streams);
    System.out.println(markdown);
    if (args.has("out")) {
      BenchFiles.writeJson(Path.of(args.required("out")), result);
    }
    if (args.has("markdown")) {
      Files.writeString(Path.of(args.required("markdown")), markdown);
    }
  }

  /**
   * Runs one phase: in a new JVM with this one's flags and class path (--jvm per-phase), or in this
   * one (--jvm one: quicker, for smoke runs; measurements then start warm). Its result, with its wall time.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> phase(Args args, String phase, Path home, long size, long startMs, Path work) throws Exception {
    System.err.printf(Locale.ROOT, "history_scaling: %s at %,d events (load %s)%n", phase, size, PipelineLatencyBenchmark.loadAverage());
    long started = System.nanoTime();
    Map<String, Object> result;
    if (args.string("jvm", "per-phase").equals("one")) {
      result = new LinkedHashMap<>(runPhase(args.with("target", Long.toString(size)).with("start-ms", Long.toString(startMs)), phase, home));
    } else {
      result = child(args, phase, home, size, startMs, work);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    result.put(phase.startsWith("seed") ? "seed_process_s" : "measure_process_s", seconds);
    System.err.printf(Locale.ROOT, "history_scaling: %s at %,d events done in %.0f s: %s%n", phase, size, seconds, result);
    return result;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> child(Args args, String phase, Path home, long size, long startMs, Path work) throws Exception {
    Path out = work.resolve(phase + "-" + size + ".json");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HistoryScalingBenchmark.class.getName(),
        "--phase", phase, "--home", home.toString(), "--target", Long.toString(size), "--start-ms", Long.toString(startMs),
        "--out", out.toString()));
    for (String name : PASSED_ON) {
      if (args.has(name)) {
        cmd.addAll(List.of("--" + name, args.required(name)));
      }
    }
    Process process = new ProcessBuilder(cmd).inheritIO().start();
    // A stopped benchmark stops its child too.
    Thread stopChild = new Thread(process::destroy);
    Runtime.getRuntime().addShutdownHook(stopChild);
    int exit = process.waitFor();
    Runtime.getRuntime().removeShutdownHook(stopChild);
    if (exit != 0) {
      throw new IllegalStateException(phase + " at " + size + " events failed (exit " + exit + "); see the log above");
    }
    return JSON.readValue(out.toFile(), LinkedHashMap.class);
  }

  // ---------------------------------------------------------------------------------------------
  // The child processes.

  /** The lakehouse in {@code home} with --conf, --set and {@code phaseOverrides}, on this process's session. */
  private static Lakehouse lakehouse(Args args, Path home, Map<String, String> phaseOverrides) {
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("spark.console-progress", "false");
    overrides.put("spark.conf.spark.ui.enabled", "false");
    overrides.putAll(phaseOverrides);
    for (String pair : args.string("set", "").split(";")) {
      if (!pair.isBlank()) {
        int eq = pair.indexOf('=');
        if (eq < 0) {
          throw new IllegalArgumentException("--set takes key=value pairs separated by ';', got " + pair);
        }
        overrides.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    FraudLakeConfig config = args.has("conf")
        ? FraudLakeConfig.load(Path.of(args.required("conf")), home, overrides)
        : FraudLakeConfig.defaults(home, overrides);
    return new Lakehouse(SparkSessions.getOrCreate(config), config);
  }

  private static HistoryEvents events(Args args) {
    return new HistoryEvents(Long.parseLong(args.required("start-ms")), Double.parseDouble(args.string("rate", "2000")),
        args.intValue("cards", 20_000));
  }

  /** Lands history up to --target events (counting what earlier phases landed); how many it landed. */
  private static long landHistory(Args args, Lakehouse lakehouse) {
    Path home = lakehouse.config().home();
    long target = Long.parseLong(args.required("target"));
    long missing = target - HistoryEvents.cursor(home);
    if (missing > 0) {
      long t0 = System.nanoTime();
      events(args).land(home, lakehouse.config().landingDir(), missing, args.intValue("file-rows", 1000));
      System.err.printf(Locale.ROOT, "history_scaling: landed %,d events in %.1f s%n", missing, (System.nanoTime() - t0) / 1e9);
    }
    return Math.max(0, missing);
  }

  /**
   * The model {@code run} scores with, as PipelineLatencyBenchmark makes it (the production pipeline's
   * shape fitted on 100,000 silver-shaped rows, served from memory, no registry), fitted by the first
   * process that needs it and saved under --model-dir, so every process scores with the same model
   * and none pays the fit again (a minute on a loaded 2-core machine).
   */
  private static ScoringModel model(Args args, Lakehouse lakehouse) throws IOException {
    Path dir = Path.of(args.required("model-dir"));
    Path saved = dir.resolve("sparkml");
    Path reference = dir.resolve(FeatureReference.FILE_NAME);
    if (Files.isRegularFile(reference) && Files.isDirectory(saved.resolve("metadata"))) {
      return new ScoringModel("fraud_isolation_forest", "bench", ModelDirectorySource.loadTransformer(saved), GoldSchema.FEATURES,
          "fitted in the benchmark, loaded from " + dir, Optional.of(FeatureReference.read(reference)));
    }
    ScoringModel fitted = BenchModels.fitForest(BenchModels.silverRows(lakehouse.spark(), 100_000, 0, Instant.now().getEpochSecond()));
    ((MLWritable) fitted.transformer()).write().overwrite().save(saved.toString());
    fitted.featureReference().orElseThrow().write(reference);
    return fitted;
  }

  /** Extends run's history: lands the missing events and lets {@code run} process all of them. */
  private static Map<String, Object> seedRun(Args args, Lakehouse lakehouse) throws Exception {
    long landed = landHistory(args, lakehouse);
    ProductionModel model = ProductionModel.load(BenchModels.fixed(model(args, lakehouse)), Duration.ofDays(1));
    Map<String, Object> out = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    long batches;
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, ScoringStatus.silent())) {
      StreamingQuery query = pipeline.queries().get(0);
      ProgressLog log = new ProgressLog(lakehouse.spark(), "seed run");
      try {
        processAll(query);
      } finally {
        log.close();
      }
      batches = log.batches();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long bronze = lakehouse.read(Tables.BRONZE).count();
    if (bronze != HistoryEvents.cursor(lakehouse.config().home())) {
      throw new IllegalStateException("run seeded bronze with " + bronze + " rows, expected " + HistoryEvents.cursor(lakehouse.config().home()));
    }
    out.put("seed_events", landed);
    out.put("seed_s", seconds);
    out.put("seed_batches", batches);
    out.put("seed_events_per_s", landed / seconds);
    return out;
  }

  /** Extends the silver stream's history: lands the missing events, ingests them with {@code bronze}, runs {@code silver}. */
  private static Map<String, Object> seedSilver(Args args, Lakehouse lakehouse) throws Exception {
    long landed = landHistory(args, lakehouse);
    Map<String, Object> out = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    new BronzeJob(lakehouse).runAvailableNow();
    double bronzeSeconds = (System.nanoTime() - t0) / 1e9;
    // Silver reads bronze by Delta files: as many per micro-batch as hold about the seeding batch's events.
    Row detail = lakehouse.spark().sql("DESCRIBE DETAIL delta.`" + lakehouse.path(Tables.BRONZE) + "`").select("numFiles").first();
    long files = detail.getLong(0);
    long rows = lakehouse.read(Tables.BRONZE).count();
    long perBatch = (long) args.intValue("seed-batch-files", 50) * args.intValue("file-rows", 1000);
    long maxFiles = Math.max(1, Math.round((double) files * perBatch / Math.max(1, rows)));
    Lakehouse seeding = new Lakehouse(lakehouse.spark(), lakehouse.config().with(Map.of("silver.max-files-per-trigger", Long.toString(maxFiles))));
    long t1 = System.nanoTime();
    ProgressLog log = new ProgressLog(lakehouse.spark(), "seed silver");
    SilverStats stats;
    try {
      stats = new SilverJob(seeding).runAvailableNow();
    } finally {
      log.close();
    }
    double silverSeconds = (System.nanoTime() - t1) / 1e9;
    out.put("seed_events", landed);
    out.put("seed_bronze_s", bronzeSeconds);
    out.put("seed_s", silverSeconds);
    out.put("seed_batches", log.batches());
    out.put("seed_bronze_files_per_silver_batch", maxFiles);
    out.put("seed_events_per_s", landed / silverSeconds);
    out.put("seed_silver_written", stats.written());
    return out;
  }

  private static Map<String, Object> measureRun(Args args, Lakehouse lakehouse) throws Exception {
    Path home = lakehouse.config().home();
    HistoryEvents events = events(args);
    int fileRows = args.intValue("file-rows", 1000);
    int increment = args.intValue("increment", 10_000);
    int increments = args.intValue("increments", 3);
    long history = HistoryEvents.cursor(home);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("history_events", history);
    out.put("bronze_rows_before", lakehouse.read(Tables.BRONZE).count());
    out.put("silver_rows_before", lakehouse.read(Tables.SILVER).count());
    out.put("gold_rows_before", lakehouse.read(Tables.GOLD).count());
    ProductionModel model = ProductionModel.load(BenchModels.fixed(model(args, lakehouse)), Duration.ofDays(1));
    ScoringStatus status = ScoringStatus.silent();

    // Start-up: a small file is waiting when run starts; its first batch completes the start-up.
    events.land(home, lakehouse.config().landingDir(), args.intValue("startup-events", 100), fileRows);
    long startWallMs = System.currentTimeMillis();
    long t0 = System.nanoTime();
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, status)) {
      StreamingQuery query = pipeline.queries().get(0);
      startup(out, query, startWallMs, t0);

      List<Double> batchSeconds = new ArrayList<>();
      List<Double> wallSeconds = new ArrayList<>();
      List<String> detail = new ArrayList<>();
      long goldBefore = status.rows();
      for (int k = 0; k < increments; k++) {
        long lastBatch = query.lastProgress() == null ? -1 : query.lastProgress().batchId();
        long landedAt = System.nanoTime();
        events.land(home, lakehouse.config().landingDir(), increment, increment);
        List<StreamingQueryProgress> batches = batchesReading(query, lastBatch, increment);
        wallSeconds.add((System.nanoTime() - landedAt) / 1e9);
        batchSeconds.add(sparkSeconds(batches));
        detail.add(describe(batches));
      }
      out.put("increment_s", median(batchSeconds));
      out.put("increment_wall_s", median(wallSeconds));
      out.put("increment_s_each", batchSeconds.toString());
      out.put("increment_wall_s_each", wallSeconds.toString());
      out.put("increment_batches", String.join(" | ", detail));
      out.put("increments_gold_rows", status.rows() - goldBefore);
      memory(out);
      stateMetrics(out, query);
    }
    stateOnDisk(out, args, lakehouse, LivePipeline.checkpointOf(lakehouse).dir());
    return out;
  }

  private static Map<String, Object> measureSilver(Args args, Lakehouse lakehouse) throws Exception {
    Path home = lakehouse.config().home();
    HistoryEvents events = events(args);
    int fileRows = args.intValue("file-rows", 1000);
    int increment = args.intValue("increment", 10_000);
    int increments = args.intValue("increments", 3);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("history_events", HistoryEvents.cursor(home));
    out.put("bronze_rows_before", lakehouse.read(Tables.BRONZE).count());
    out.put("silver_rows_before", lakehouse.read(Tables.SILVER).count());

    // Start-up: a few events wait in bronze when the silver stream starts; its first batch completes the start-up.
    events.land(home, lakehouse.config().landingDir(), args.intValue("startup-events", 100), fileRows);
    new BronzeJob(lakehouse).runAvailableNow();
    SilverJob job = new SilverJob(lakehouse);
    long startWallMs = System.currentTimeMillis();
    long t0 = System.nanoTime();
    StreamingQuery query = job.start(Trigger.ProcessingTime(lakehouse.config().duration("silver.trigger").toMillis()));
    try {
      startup(out, query, startWallMs, t0);

      // Increments: bronze ingests the new events (not timed) while the stream runs; the stream's
      // batches that read them, and the no-data batch that lets the watermark pass them, are timed.
      List<Double> batchSeconds = new ArrayList<>();
      List<Double> bronzeSeconds = new ArrayList<>();
      List<String> detail = new ArrayList<>();
      long writtenBefore = job.stats().written();
      for (int k = 0; k < increments; k++) {
        long lastBatch = query.lastProgress() == null ? -1 : query.lastProgress().batchId();
        events.land(home, lakehouse.config().landingDir(), increment, increment);
        long b0 = System.nanoTime();
        new BronzeJob(lakehouse).runAvailableNow();
        bronzeSeconds.add((System.nanoTime() - b0) / 1e9);
        List<StreamingQueryProgress> batches = batchesReading(query, lastBatch, increment);
        batchSeconds.add(sparkSeconds(batches));
        detail.add(describe(batches));
      }
      out.put("increment_s", median(batchSeconds));
      out.put("increment_s_each", batchSeconds.toString());
      out.put("increment_batches", String.join(" | ", detail));
      out.put("increment_bronze_s_each", bronzeSeconds.toString());
      out.put("increments_silver_rows", job.stats().written() - writtenBefore);
      memory(out);
      stateMetrics(out, query);
    } finally {
      query.stop();
    }
    stateOnDisk(out, args, lakehouse, lakehouse.checkpoint(SilverJob.QUERY_NAME).resolve("stream"));
    return out;
  }

  /**
   * The start-up of a stream started at {@code startWallMs} ({@code startNanos} on the monotonic
   * clock): until its first batch is done, until everything waiting at the start is processed, and
   * that first batch's durations.
   */
  private static void startup(Map<String, Object> out, StreamingQuery query, long startWallMs, long startNanos) {
    out.put("startup_start_returned_s", (System.nanoTime() - startNanos) / 1e9);
    processAll(query);
    out.put("startup_all_s", (System.nanoTime() - startNanos) / 1e9);
    List<StreamingQueryProgress> startBatches = batchesAfter(query, -1);
    StreamingQueryProgress firstBatch = startBatches.get(0);
    out.put("startup_s", (endWallMs(firstBatch) - startWallMs) / 1000.0);
    out.put("startup_first_batch_s", duration(firstBatch, "triggerExecution") / 1000.0);
    out.put("startup_first_batch_durations", firstBatch.durationMs().toString());
    out.put("startup_batches", startBatches.size());
  }

  /** The batches after {@code lastBatch}, once they have read at least {@code rows} rows and the stream is idle. */
  private static List<StreamingQueryProgress> batchesReading(StreamingQuery query, long lastBatch, long rows) {
    List<StreamingQueryProgress> batches;
    do {
      processAll(query);
      batches = batchesAfter(query, lastBatch);
    } while (batches.stream().mapToLong(StreamingQueryProgress::numInputRows).sum() < rows);
    return batches;
  }

  private static double sparkSeconds(List<StreamingQueryProgress> batches) {
    return batches.stream().mapToLong(p -> duration(p, "triggerExecution")).sum() / 1000.0;
  }

  private static String describe(List<StreamingQueryProgress> batches) {
    return String.format(Locale.ROOT, "%.2fs in %d batches %s", sparkSeconds(batches), batches.size(),
        batches.stream().map(p -> p.numInputRows() + " rows " + duration(p, "triggerExecution") + " ms (addBatch "
            + duration(p, "addBatch") + ", latestOffset " + duration(p, "latestOffset") + ")").toList());
  }

  private static void processAll(StreamingQuery query) {
    query.processAllAvailable();
    if (query.exception().isDefined()) {
      throw new IllegalStateException("stream " + query.name() + " failed", query.exception().get());
    }
  }

  /** The query's micro-batches after {@code batchId} that ran (idle triggers report no addBatch). */
  private static List<StreamingQueryProgress> batchesAfter(StreamingQuery query, long batchId) {
    return Arrays.stream(query.recentProgress())
        .filter(p -> p.batchId() > batchId && p.durationMs().containsKey("addBatch"))
        .toList();
  }

  private static long duration(StreamingQueryProgress p, String key) {
    Long v = p.durationMs().get(key);
    return v == null ? 0 : v;
  }

  private static long endWallMs(StreamingQueryProgress p) {
    return Instant.parse(p.timestamp()).toEpochMilli() + duration(p, "triggerExecution");
  }

  /** Heap after a full GC and the process's resident memory (heap, RocksDB's native memory, code). */
  private static void memory(Map<String, Object> out) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    out.put("heap_after_gc_mb", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0);
    out.put("non_heap_mb", ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getUsed() / 1048576.0);
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          out.put("rss_mb", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0);
        }
      }
    } catch (IOException e) {
      out.put("rss_mb", null);
    }
  }

  /** The state operator's figures in the query's last batch that ran. */
  private static void stateMetrics(Map<String, Object> out, StreamingQuery query) {
    List<StreamingQueryProgress> ran = batchesAfter(query, -1);
    if (ran.isEmpty() || ran.get(ran.size() - 1).stateOperators().length == 0) {
      return;
    }
    StateOperatorProgress state = ran.get(ran.size() - 1).stateOperators()[0];
    out.put("state_operator", state.operatorName());
    out.put("state_rows", state.numRowsTotal());
    out.put("state_memory_bytes", state.memoryUsedBytes());
    out.put("state_partitions", state.numShufflePartitions());
    out.put("state_commit_ms", state.commitTimeMs());
    new java.util.TreeMap<>(state.customMetrics()).forEach((k, v) -> out.put("state_metric_" + k, v));
  }

  /** Bytes of the checkpoint's state store, per card, per state row and per event of the last window. */
  private static void stateOnDisk(Map<String, Object> out, Args args, Lakehouse lakehouse, Path checkpoint) {
    long bytes = folderBytes(checkpoint.resolve("state"));
    out.put("state_disk_bytes", bytes);
    out.put("checkpoint_disk_bytes", folderBytes(checkpoint));
    Duration span = Duration.ofSeconds(lakehouse.config().longValue("features.window-seconds"))
        .plus(lakehouse.config().duration("features.lateness"));
    Row newest = lakehouse.read(Tables.BRONZE).agg(max("event_timestamp"), countDistinct("card_id")).first();
    Timestamp from = new Timestamp(newest.getTimestamp(0).getTime() - span.toMillis());
    long lastWindow = lakehouse.read(Tables.BRONZE).where(col("event_timestamp").geq(lit(from))).count();
    long cards = newest.getLong(1);
    out.put("cards", cards);
    out.put("last_window_events", lastWindow);
    out.put("state_disk_bytes_per_card", (double) bytes / cards);
    out.put("state_disk_bytes_per_last_window_event", (double) bytes / Math.max(1, lastWindow));
    Object rows = out.get("state_rows");
    if (rows instanceof Long r && r > 0) {
      out.put("state_disk_bytes_per_state_row", (double) bytes / r);
      if (out.get("state_memory_bytes") instanceof Long m) {
        out.put("state_memory_bytes_per_card", (double) m / cards);
        out.put("state_memory_bytes_per_state_row", (double) m / r);
      }
    }
    if (Boolean.parseBoolean(args.string("state-breakdown", "true"))) {
      for (String variable : List.of("pending", "context", "ids", "card")) {
        try {
          out.put("state_rows_" + variable, SilverState.rows(lakehouse.spark(), checkpoint, variable));
        } catch (RuntimeException e) {
          out.put("state_rows_" + variable, "n/a: " + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
  }

  private static long folderBytes(Path dir) {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Prints a line per seeding batch now and then, so a long seeding shows where it is. */
  private static final class ProgressLog extends org.apache.spark.sql.streaming.StreamingQueryListener {
    private final SparkSession spark;
    private final String label;
    private final long started = System.nanoTime();
    private long batches;
    private long rows;

    ProgressLog(SparkSession spark, String label) {
      this.spark = spark;
      this.label = label;
      spark.streams().addListener(this);
    }

    synchronized long batches() {
      return batches;
    }

    void close() {
      spark.streams().removeListener(this);
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public synchronized void onQueryProgress(QueryProgressEvent event) {
      StreamingQueryProgress p = event.progress();
      if (!p.durationMs().containsKey("addBatch")) {
        return;
      }
      batches++;
      rows += p.numInputRows();
      if (batches % 10 == 1) {
        double s = (System.nanoTime() - started) / 1e9;
        System.err.printf(Locale.ROOT, "history_scaling: %s batch %d: %,d rows so far in %.0f s (%,.0f rows/s), this batch %,d rows in %d ms%n",
            label, p.batchId(), rows, s, rows / s, p.numInputRows(), duration(p, "triggerExecution"));
      }
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {}
  }

  // ---------------------------------------------------------------------------------------------
  // Report.

  private static String markdown(Map<String, Object> result, Map<String, Map<Long, Map<String, Object>>> measured, List<Long> sizes,
      List<String> streams) {
    StringBuilder md = new StringBuilder();
    long first = sizes.get(0);
    long last = sizes.get(sizes.size() - 1);
    boolean ratio = sizes.size() > 1;
    md.append(String.format(Locale.ROOT, "Cost of a micro-batch against history (%s JVM): %s cards, %.0f events/s of event time, increment %,d events (median of %s), load %s → %s, %.0f s in all.%n%n",
        result.get("jvm").equals("one") ? "one" : "a fresh", result.get("cards"), (Double) result.get("rate_events_per_s"), result.get("increment_events"), result.get("increments"),
        result.get("load_before"), result.get("load_after"), (Double) result.get("total_s")));
    md.append("| stream | measure |");
    sizes.forEach(s -> md.append(String.format(Locale.ROOT, " %,d |", s)));
    if (ratio) {
      md.append(String.format(Locale.ROOT, " %s | target |", "ratio"));
    }
    md.append("\n|---|---|");
    sizes.forEach(s -> md.append("---:|"));
    if (ratio) {
      md.append("---:|---|");
    }
    md.append('\n');
    for (String stream : streams) {
      Map<Long, Map<String, Object>> bySize = measured.get(stream);
      List<String[]> rows = new ArrayList<>(stream.equals("run")
          ? List.of(
              new String[] {"increment_s", "increment (s, Spark batches)", "≤ 1.2"},
              new String[] {"increment_wall_s", "increment (s, rename → gold, incl. trigger wait)", ""},
              new String[] {"startup_s", "start-up (s, start → first batch done)", "≤ 1.2"},
              new String[] {"startup_all_s", "start-up (s, start → first file in gold)", ""},
              new String[] {"rss_mb", "process resident memory (MB)", ""})
          : List.of(
              new String[] {"increment_s", "increment (s, Spark batches)", "≤ 1.2"},
              new String[] {"startup_s", "start-up (s, start → first batch done)", "≤ 1.2"},
              new String[] {"rss_mb", "process resident memory (MB)", ""}));
      rows.addAll(List.of(
          new String[] {"heap_after_gc_mb", "driver heap after full GC (MB)", "no growth"},
          new String[] {"state_disk_bytes", "state on disk (bytes)", ""},
          new String[] {"state_rows", "state rows (numRowsTotal)", ""},
          new String[] {"state_rows_ids", "  of which IDs", ""},
          new String[] {"state_memory_bytes", "state memory (memoryUsedBytes)", ""},
          new String[] {"state_disk_bytes_per_card", "state bytes on disk per card", ""},
          new String[] {"state_disk_bytes_per_state_row", "state bytes on disk per state row", ""},
          new String[] {"state_disk_bytes_per_last_window_event", "state bytes on disk per event of the last window", ""},
          new String[] {"state_memory_bytes_per_card", "state memory per card", ""},
          new String[] {"state_memory_bytes_per_state_row", "state memory per state row", ""},
          new String[] {"state_metric_timerProcessingTimeMs", "timer processing, last batch (ms)", ""},
          new String[] {"seed_events_per_s", "seeding (events/s)", ""}));
      for (String[] row : rows) {
        md.append("| ").append(stream).append(" | ").append(row[1]).append(" |");
        for (long s : sizes) {
          md.append(' ').append(format(bySize.get(s).get(row[0]))).append(" |");
        }
        if (ratio) {
          Double a = number(bySize.get(first).get(row[0]));
          Double b = number(bySize.get(last).get(row[0]));
          String r = a == null || b == null || a == 0 ? "" : String.format(Locale.ROOT, "%.2f", b / a);
          String verdict = row[2].startsWith("≤") && !r.isEmpty() ? (b / a <= 1.2 ? " MET" : " MISSED") : "";
          md.append(' ').append(r).append(" | ").append(row[2]).append(verdict).append(" |");
        }
        md.append('\n');
      }
    }
    return md.toString();
  }

  private static String format(Object v) {
    if (v instanceof Double d) {
      return Math.abs(d) >= 1000 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.2f", d);
    }
    if (v instanceof Number n) {
      return String.format(Locale.ROOT, "%,d", n.longValue());
    }
    return v == null ? "" : v.toString();
  }

  private static Double number(Object v) {
    return v instanceof Number n ? n.doubleValue() : null;
  }

  private static double median(List<Double> xs) {
    return xs.isEmpty() ? Double.NaN : Measurement.median(xs);
  }

  private static long parseCount(String s) {
    String t = s.replace("_", "").toLowerCase(Locale.ROOT);
    long scale = t.endsWith("m") ? 1_000_000L : t.endsWith("k") ? 1_000L : 1L;
    return Long.parseLong(scale == 1 ? t : t.substring(0, t.length() - 1)) * scale;
  }

  private static void stopSpark() {
    if (SparkSession.getActiveSession().isDefined()) {
      SparkSession.getActiveSession().get().stop();
    }
  }

}
