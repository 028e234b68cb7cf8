package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.KafkaPublisher;
import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * End-to-end latency of the live pipeline ({@code ./fraudlake run}: source → bronze → silver →
 * gold in one stream, with a processing-time trigger): a producer delivers a slice of events every
 * {@code --file-ms} at a steady rate, every event stamped with the wall-clock time it is written;
 * the latency of an event is the time the Delta commit holding its gold row became visible (the
 * modification time of that {@code _delta_log} entry) minus the time its slice was delivered.
 *
 * <p>{@code --source files} (the default) renames each slice into the landing folder as one
 * JSON-lines file (delivered = the rename). {@code --source kafka} starts a real Kafka broker (KRaft,
 * in a JVM of its own on loopback), creates the topic with {@code --partitions} partitions and runs
 * {@code run} with {@code source.kind = kafka}; each slice is sent as records keyed by card, and
 * delivered = the moment the producer began sending the slice, so the producer's own batching and
 * acknowledgement count against the pipeline.
 *
 * <p>Phases: {@code --warmup} seconds of input (measured, reported apart), {@code --seconds} of
 * measured input, then {@code --tail} seconds more input so the watermark passes the last measured
 * events, then a wait until gold holds every warm-up and measured event. Every measured event
 * counts; one missing from gold is reported as missing, not left out. Per event the latency is also
 * split into rename → bronze commit → silver commit → gold commit, and the wait the lateness imposes
 * is computed from the producer's own schedule (the first file whose events are newer than the
 * event by more than the lateness), so engine time and deliberate waiting can be told apart.
 *
 * <p>Options: --source files|kafka --partitions 4 (kafka) --rate 2000 (events/s) --file-ms 500 (one slice
 * per interval) --cards 20000
 * --warmup 30 --seconds 60 --tail 15 --trigger 200ms --lateness (both default to the configuration's)
 * --conf FILE (default: the built-in defaults) --home DIR --out FILE (one JSON object for bench/run).
 */
public final class PipelineLatencyBenchmark {
  private static final String[] PRODUCTS = {"W", "H", "C", "S", "R", "G", "D", "T"};
  private static final String TOPIC = "card-events";

  /** One delivered slice: its index, phase, how many events, their event-time range and its delivery time. */
  private record Landed(int index, String phase, int events, long firstEventMs, long lastEventMs, long deliveredMs) {}

  /** Where the producer puts each slice of events. */
  private interface Source extends AutoCloseable {
    /** Makes the lines (card id, JSON line) visible to the pipeline; returns the delivery time in ms. */
    long deliver(int index, List<String[]> lines);

    @Override
    void close();
  }

  /** One micro-batch of one stage, as Spark reported it. */
  private record Batch(String query, long batchId, long rows, long triggerMs, long addBatchMs, long endMs) {}

  private final Args args;
  private final Lakehouse lakehouse;
  private final SparkSession spark;
  private final ConcurrentLinkedQueue<Batch> batches = new ConcurrentLinkedQueue<>();

  private PipelineLatencyBenchmark(Args args, Lakehouse lakehouse) {
    this.args = args;
    this.lakehouse = lakehouse;
    this.spark = lakehouse.spark();
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Path home = Path.of(args.string("home", Files.createTempDirectory("fraudlake-latency-").toString()));
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("spark.console-progress", "false");
    overrides.put("spark.conf.spark.ui.enabled", "false");
    if (args.has("trigger")) {
      overrides.put("run.trigger", args.required("trigger"));
    }
    if (args.has("lateness")) {
      overrides.put("features.lateness", args.required("lateness"));
    }
    String source = args.string("source", "files");
    if (!source.equals("files") && !source.equals("kafka")) {
      throw new IllegalArgumentException("--source must be files or kafka, got " + source);
    }
    KafkaBroker broker = null;
    if (source.equals("kafka")) {
      broker = KafkaBroker.start();
      broker.createTopic(TOPIC, args.intValue("partitions", 4));
      overrides.put("source.kind", "kafka");
      overrides.put("source.kafka.bootstrap-servers", broker.bootstrapServers());
      overrides.put("source.kafka.topic", TOPIC);
    }
    try {
      FraudLakeConfig config = args.has("conf")
          ? FraudLakeConfig.load(Path.of(args.required("conf")), home, overrides)
          : FraudLakeConfig.defaults(home, overrides);
      SparkSession spark = SparkSessions.getOrCreate(config);
      Lakehouse lakehouse = new Lakehouse(spark, config);
      try (Source input = broker == null ? new LandingFiles(config.landingDir()) : new KafkaTopic(broker.bootstrapServers())) {
        new PipelineLatencyBenchmark(args, lakehouse).run(source, input);
      } finally {
        spark.stop();
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
  }

  private void run(String source, Source input) throws Exception {
    int rate = args.intValue("rate", 2000);
    int fileMs = args.intValue("file-ms", 500);
    int warmup = args.intValue("warmup", 30);
    int seconds = args.intValue("seconds", 60);
    int tail = args.intValue("tail", 15);
    int cards = args.intValue("cards", 20_000);
    Duration lateness = lakehouse.config().duration("features.lateness");
    String trigger = lakehouse.config().duration("run.trigger").toMillis() + " ms";
    String loadBefore = loadAverage();
    System.out.printf(Locale.ROOT, "PipelineLatencyBenchmark: %d events/s from %s, one slice every %d ms over %d cards, trigger %s, "
            + "lateness %s, warm-up %ds, measured %ds, tail %ds, master %s, %d cores, load %s, home %s%n",
        rate, source, fileMs, cards, trigger, lateness, warmup, seconds, tail, spark.sparkContext().master(),
        Runtime.getRuntime().availableProcessors(), loadBefore, lakehouse.config().home());

    ScoringModel forest = BenchModels.fitForest(BenchModels.silverRows(spark, 100_000, 0, Instant.now().getEpochSecond()));
    spark.streams().addListener(new ProgressRecorder());
    ScoringStatus status = ScoringStatus.silent();
    List<Landed> landed = new ArrayList<>();
    long expected;
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, ProductionModel.load(BenchModels.fixed(forest), Duration.ofDays(1)),
        status)) {
      int perFile = (int) ((long) rate * fileMs / 1000);
      SplittableRandom random = new SplittableRandom(42);
      long startNanos = System.nanoTime();
      int warmupFiles = warmup * 1000 / fileMs;
      int measuredFiles = seconds * 1000 / fileMs;
      int tailFiles = tail * 1000 / fileMs;
      for (int i = 0; i < warmupFiles + measuredFiles + tailFiles; i++) {
        long due = startNanos + (long) i * fileMs * 1_000_000L;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        String phase = i < warmupFiles ? "warmup" : i < warmupFiles + measuredFiles ? "measured" : "tail";
        landed.add(land(input, i, phase, perFile, cards, random));
        if (pipeline.queries().stream().anyMatch(q -> q.exception().isDefined())) {
          throw new IllegalStateException("a pipeline stream failed: "
              + pipeline.queries().stream().filter(q -> q.exception().isDefined()).findFirst().get().exception().get());
        }
      }
      expected = (long) (warmupFiles + measuredFiles) * perFile;
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (status.rows() < expected && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
    }
    String loadAfter = loadAverage();
    report(source, landed, lateness, loadBefore, loadAfter, rate, fileMs, trigger, cards);
  }

  /** Writes one slice of events, each stamped with the wall-clock time it is written, and delivers it. */
  private static Landed land(Source input, int index, String phase, int events, int cards, SplittableRandom random) {
    List<String[]> lines = new ArrayList<>(events);
    long first = 0;
    long last = 0;
    for (int e = 0; e < events; e++) {
      long now = System.currentTimeMillis();
      if (e == 0) {
        first = now;
      }
      last = now;
      String card = "card-" + random.nextInt(cards);
      double amount = Math.round(Math.exp(3.2 + random.nextGaussian()) * 100) / 100.0;
      lines.add(new String[] {card, String.format(Locale.ROOT,
          "{\"TransactionID\":\"lat-%d-%d\",\"event_timestamp\":%d,\"card_id\":\"%s\",\"TransactionAmt\":%.2f,"
              + "\"ProductCD\":\"%s\",\"card_country\":\"US\",\"merchant_country\":\"%s\"}",
          index, e, now, card, amount, PRODUCTS[random.nextInt(PRODUCTS.length)], random.nextInt(50) == 0 ? "GB" : "US")});
    }
    long delivered = input.deliver(index, lines);
    return new Landed(index, phase, events, first, last, delivered);
  }

  /** Each slice written beside landing's visible names and renamed in: no stream sees half a file. */
  private record LandingFiles(Path landing) implements Source {
    @Override
    public long deliver(int index, List<String[]> lines) {
      Path hidden = landing.resolve(String.format(Locale.ROOT, ".lat-%06d.jsonl.tmp", index));
      Path visible = landing.resolve(String.format(Locale.ROOT, "lat-%06d.jsonl", index));
      try (Writer out = Files.newBufferedWriter(hidden, StandardCharsets.UTF_8)) {
        for (String[] line : lines) {
          out.write(line[1]);
          out.write('\n');
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + hidden, e);
      }
      try {
        Files.move(hidden, visible, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot rename " + hidden, e);
      }
      return System.currentTimeMillis();
    }

    @Override
    public void close() {}
  }

  /**
   * Each slice sent to the topic as records keyed by card with FraudLake's own publisher (what
   * {@code generate --to kafka} uses: acks from all replicas, idempotent), flushed before the next.
   */
  private static final class KafkaTopic implements Source {
    private final KafkaPublisher publisher;

    KafkaTopic(String servers) {
      this.publisher = new KafkaPublisher(servers, TOPIC, Map.of(), 0);
    }

    @Override
    public long deliver(int index, List<String[]> lines) {
      long sending = System.currentTimeMillis();
      lines.forEach(line -> publisher.accept(line[0], line[1]));
      publisher.flush();
      return sending;
    }

    @Override
    public void close() {
      publisher.close();
    }
  }

  private void report(String source, List<Landed> landed, Duration lateness, String loadBefore, String loadAfter, int rate, int fileMs,
      String trigger, int cards) {
    Map<Integer, Landed> byIndex = new HashMap<>();
    landed.forEach(l -> byIndex.put(l.index(), l));
    long[] lateWait = latenessWait(landed, lateness.toMillis());

    Dataset<Row> gold = committedAt(Tables.GOLD, "gold_ms");
    Dataset<Row> silver = committedAt(Tables.SILVER, "silver_ms");
    Dataset<Row> bronze = committedAt(Tables.BRONZE, "bronze_ms");
    List<Row> rows = gold.join(silver, "TransactionID").join(bronze, "TransactionID")
        .select(expr("CAST(split(TransactionID, '-')[1] AS INT)").as("file"), col("bronze_ms"), col("silver_ms"), col("gold_ms"))
        .collectAsList();

    Map<String, List<long[]>> perPhase = new HashMap<>();
    for (Row r : rows) {
      Landed l = byIndex.get(r.getInt(0));
      perPhase.computeIfAbsent(l.phase(), p -> new ArrayList<>()).add(new long[] {
          r.getLong(3) - l.deliveredMs(), r.getLong(1) - l.deliveredMs(), r.getLong(2) - r.getLong(1),
          r.getLong(3) - r.getLong(2), lateWait[l.index()]});
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("impl", "pipeline_latency");
    result.put("source", source);
    result.put("rate_events_per_s", rate);
    result.put("file_every_ms", fileMs);
    result.put("cards", cards);
    result.put("trigger", trigger);
    result.put("lateness_s", lateness.toMillis() / 1000.0);
    result.put("load_before", loadBefore);
    result.put("load_after", loadAfter);
    for (String phase : List.of("warmup", "measured")) {
      long sent = landed.stream().filter(l -> l.phase().equals(phase)).mapToLong(Landed::events).sum();
      List<long[]> got = perPhase.getOrDefault(phase, List.of());
      String[] parts = {"end_to_end", "rename_to_bronze", "bronze_to_silver", "silver_to_gold", "lateness_wait"};
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "RESULT latency %-8s %d events sent, %d in gold, %d missing",
          phase, sent, got.size(), sent - got.size()));
      result.put(phase + "_events", sent);
      result.put(phase + "_missing", sent - got.size());
      for (int p = 0; p < parts.length; p++) {
        int part = p;
        long[] values = got.stream().mapToLong(v -> v[part]).sorted().toArray();
        if (values.length == 0) {
          continue;
        }
        double p50 = percentile(values, 0.50);
        double p95 = percentile(values, 0.95);
        double max = values[values.length - 1] / 1000.0;
        line.append(String.format(Locale.ROOT, "%n    %-17s p50 %6.2fs  p95 %6.2fs  max %6.2fs", parts[p], p50, p95, max));
        result.put(phase + "_" + parts[p] + "_p50_s", p50);
        result.put(phase + "_" + parts[p] + "_p95_s", p95);
        result.put(phase + "_" + parts[p] + "_max_s", max);
      }
      System.out.println(line);
    }
    System.out.println("micro-batches with input that ended while measured events were in flight "
        + "(Spark's progress: whole trigger, and its foreachBatch part):");
    long from = landed.stream().filter(l -> l.phase().equals("measured")).mapToLong(Landed::deliveredMs).min().orElse(0);
    long to = from + (long) args.intValue("seconds", 60) * 1000 + perPhase.getOrDefault("measured", List.of()).stream()
        .mapToLong(v -> v[0]).max().orElse(0);
    for (String query : List.of(LivePipeline.QUERY_NAME)) {
      List<Batch> mine = batches.stream().filter(b -> b.query().equals(query) && b.endMs() >= from && b.endMs() <= to).toList();
      if (mine.isEmpty()) {
        continue;
      }
      long[] triggerMs = mine.stream().mapToLong(Batch::triggerMs).sorted().toArray();
      long[] addMs = mine.stream().mapToLong(Batch::addBatchMs).sorted().toArray();
      double rowsPerBatch = mine.stream().mapToLong(Batch::rows).average().orElse(0);
      System.out.printf(Locale.ROOT, "    %-7s %4d batches, %7.0f rows/batch, trigger p50 %5.2fs p95 %5.2fs, foreachBatch p50 %5.2fs p95 %5.2fs%n",
          query, mine.size(), rowsPerBatch, percentile(triggerMs, 0.5), percentile(triggerMs, 0.95),
          percentile(addMs, 0.5), percentile(addMs, 0.95));
      result.put(query + "_batches", mine.size());
      result.put(query + "_trigger_p50_s", percentile(triggerMs, 0.5));
      result.put(query + "_trigger_p95_s", percentile(triggerMs, 0.95));
      result.put(query + "_foreach_batch_p50_s", percentile(addMs, 0.5));
    }
    // Generated code Spark compiled over the whole run: a plan whose literals change every batch
    // (timestamps) is compiled again every batch, and that time is taken from the streams.
    com.codahale.metrics.Histogram compiled = org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME();
    double compileSeconds = compiled.getCount() * compiled.getSnapshot().getMean() / 1000.0;
    System.out.printf(Locale.ROOT, "    codegen: %d compilations, %.1f s%n", compiled.getCount(), compileSeconds);
    result.put("codegen_compilations", compiled.getCount());
    result.put("codegen_seconds", compileSeconds);
    System.out.printf(Locale.ROOT, "load average before %s, after %s%n", loadBefore, loadAfter);
    if (args.has("out")) {
      BenchFiles.writeJson(Path.of(args.required("out")), result);
    }
  }

  /**
   * Per file, how long its newest event must wait, by the producer's own clock, for an event newer
   * by more than the lateness to land: silver cannot emit it before that file is read.
   */
  private static long[] latenessWait(List<Landed> landed, long latenessMs) {
    long[] wait = new long[landed.size()];
    int j = 0;
    for (int i = 0; i < landed.size(); i++) {
      Landed l = landed.get(i);
      while (j < landed.size() && landed.get(j).lastEventMs() <= l.lastEventMs() + latenessMs) {
        j++;
      }
      wait[l.index()] = j < landed.size() ? landed.get(j).deliveredMs() - l.deliveredMs() : -1;
    }
    return wait;
  }

  /**
   * Every row's TransactionID with the time the commit that added its data file became visible: the
   * modification time of that commit's {@code _delta_log/<version>.json}, joined on the file name.
   */
  private Dataset<Row> committedAt(String table, String column) {
    String path = lakehouse.path(table).toString();
    Dataset<Row> adds = spark.read().schema("add STRUCT<path: STRING>").json(path + "/_delta_log/*.json")
        .where(col("add").isNotNull())
        .select(col("add.path").as("_file"), expr("unix_millis(_metadata.file_modification_time)").as(column));
    return spark.read().format("delta").load(path)
        .select(col("TransactionID"), col("_metadata.file_name").as("_file"))
        .join(adds, "_file")
        .select("TransactionID", column);
  }

  /** Nearest-rank percentile, in seconds, of sorted milliseconds. */
  private static double percentile(long[] sortedMs, double q) {
    int rank = (int) Math.ceil(q * sortedMs.length);
    return sortedMs[Math.max(0, rank - 1)] / 1000.0;
  }

  /** The machine's 1, 5 and 15 minute load averages, as the benchmarks report them beside each figure. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return String.join(" ", Arrays.copyOf(parts, 3));
    } catch (IOException e) {
      return "n/a";
    }
  }

  /** Keeps every stage's per-batch durations as Spark reports them. */
  private final class ProgressRecorder extends StreamingQueryListener {
    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {
      StreamingQueryProgress p = event.progress();
      if (p.numInputRows() == 0) {
        return; // an idle trigger only looked for new input
      }
      Map<String, Long> d = p.durationMs();
      Batch b = new Batch(p.name(), p.batchId(), p.numInputRows(), d.getOrDefault("triggerExecution", 0L),
          d.getOrDefault("addBatch", 0L), Instant.parse(p.timestamp()).toEpochMilli() + d.getOrDefault("triggerExecution", 0L));
      batches.add(b);
      System.err.printf(Locale.ROOT, "progress %s batch %d: %d rows, %s%n", b.query(), b.batchId(), b.rows(), d);
    }

    @Override
    public void onQueryIdle(QueryIdleEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {}
  }
}
