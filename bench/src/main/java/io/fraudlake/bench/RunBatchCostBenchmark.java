package io.fraudlake.bench;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.streaming.Trigger;

/**
 * What one micro-batch of {@code ./fraudlake run} costs at a fixed size, free of the feedback of a
 * live rate (where a slower batch makes the next one bigger): --batches files of --batch-events
 * events each are landed first, then {@code run} processes them available-now, one file per
 * micro-batch. Each file holds --batch-events / --rate seconds of event time, so every batch moves
 * the watermark and emits the events of the one before, as a live stream at that rate does.
 * With --prefill-seconds, that much event time at --rate is landed before them in files of
 * --prefill-file-events (ten batches' worth) and run untimed, so the timed batches find every card's
 * window full, as in a stream that has run for longer than a window.
 * Reports the median and p90 of Spark's trigger time over the batches after the first --skip, the
 * implied per-event cost, and the process's CPU time per batch over the same batches; A/B comparisons of the engine use it because it repeats within a few percent.
 *
 * <p>Options: --batches 30 --batch-events 4000 --rate 2000 --cards 20000 --skip 5 --prefill-seconds 0
 * --prefill-file-events (10 × --batch-events) --conf FILE
 * --home DIR --out FILE.
 */
public final class RunBatchCostBenchmark {
  private RunBatchCostBenchmark() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int batches = args.intValue("batches", 30);
    int batchEvents = args.intValue("batch-events", 4000);
    int rate = args.intValue("rate", 2000);
    int cards = args.intValue("cards", 20_000);
    int skip = args.intValue("skip", 5);
    int prefillSeconds = args.intValue("prefill-seconds", 0);
    int prefillFileEvents = args.intValue("prefill-file-events", 10 * batchEvents);
    if (prefillSeconds < 0 || prefillFileEvents < 1) {
      throw new IllegalArgumentException("--prefill-seconds must be at least 0 and --prefill-file-events at least 1, got "
          + prefillSeconds + " and " + prefillFileEvents);
    }
    if (skip < 1) {
      throw new IllegalArgumentException("--skip must be at least 1 (the first batch starts RocksDB and compiles the plan), got " + skip);
    }
    Path home = Path.of(args.string("home", Files.createTempDirectory("fraudlake-batch-cost-").toString()));
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("spark.console-progress", "false");
    overrides.put("spark.conf.spark.ui.enabled", "false");
    overrides.put("landing.max-files-per-trigger", "1");
    FraudLakeConfig config = args.has("conf")
        ? FraudLakeConfig.load(Path.of(args.required("conf")), home, overrides)
        : FraudLakeConfig.defaults(home, overrides);
    SparkSession spark = SparkSessions.getOrCreate(config);
    try {
      Lakehouse lakehouse = new Lakehouse(spark, config);
      long startMs = Instant.now().minus(Duration.ofHours(1)).toEpochMilli();
      HistoryEvents events = new HistoryEvents(startMs, rate, cards);
      // The prefill fills the cards' windows (and the IDs' state) before the timed batches, in
      // files of its own size, so that those batches see the state a stream running for longer
      // than a window holds.
      long prefillEvents = (long) (prefillSeconds * rate);
      int prefillBatches = (int) ((prefillEvents + prefillFileEvents - 1) / prefillFileEvents);
      if (prefillEvents > 0) {
        events.land(home, config.landingDir(), prefillEvents, prefillFileEvents);
      }
      events.land(home, config.landingDir(), (long) batches * batchEvents, batchEvents);
      ScoringModel forest = BenchModels.fitForest(BenchModels.silverRows(spark, 100_000, 0, startMs / 1000));
      List<Long> triggerMs = new ArrayList<>();
      // The process's CPU time as each batch ended: on a machine as busy as the batches keep it, CPU
      // per batch varies less from run to run than the batches' wall time does.
      List<Long> cpuNanos = new ArrayList<>();
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      spark.streams().addListener(new StreamingQueryListener() {
        @Override
        public void onQueryStarted(QueryStartedEvent event) {}

        @Override
        public void onQueryProgress(QueryProgressEvent event) {
          StreamingQueryProgress p = event.progress();
          if (p.numInputRows() > 0) {
            synchronized (triggerMs) {
              triggerMs.add(p.durationMs().getOrDefault("triggerExecution", 0L));
              cpuNanos.add(os.getProcessCpuTime());
            }
            System.err.printf(Locale.ROOT, "progress batch %d: %d rows, %s%n", p.batchId(), p.numInputRows(), p.durationMs());
            for (var operator : p.stateOperators()) {
              System.err.printf(Locale.ROOT, "state operator of batch %d: %s%n", p.batchId(), operator.json());
            }
          }
        }

        @Override
        public void onQueryIdle(QueryIdleEvent event) {}

        @Override
        public void onQueryTerminated(QueryTerminatedEvent event) {}
      });
      String loadBefore = PipelineLatencyBenchmark.loadAverage();
      long t0 = System.nanoTime();
      try (LivePipeline pipeline = LivePipeline.start(lakehouse, ProductionModel.load(BenchModels.fixed(forest), Duration.ofDays(1)),
          ScoringStatus.silent(), Trigger.AvailableNow())) {
        pipeline.awaitTermination();
      }
      double wallSeconds = (System.nanoTime() - t0) / 1e9;
      long[] timed;
      double cpuPerBatch;
      synchronized (triggerMs) {
        int untimed = prefillBatches + skip;
        timed = triggerMs.stream().skip(untimed).mapToLong(Long::longValue).sorted().toArray();
        cpuPerBatch = timed.length == 0 ? 0
            : (cpuNanos.get(cpuNanos.size() - 1) - cpuNanos.get(untimed - 1)) / 1e9 / (cpuNanos.size() - untimed);
      }
      if (timed.length == 0) {
        throw new IllegalStateException("no batch after the first " + skip + " (and " + prefillBatches
            + " of prefill) to time (--batches " + batches + ")");
      }
      double p50 = timed[(timed.length - 1) / 2] / 1000.0;
      double p90 = timed[(int) Math.ceil(0.9 * timed.length) - 1] / 1000.0;
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("impl", "run_batch_cost");
      result.put("batch_events", batchEvents);
      result.put("prefill_seconds", prefillSeconds);
      result.put("prefill_batches", prefillBatches);
      result.put("batches_timed", timed.length);
      result.put("trigger_p50_s", p50);
      result.put("trigger_p90_s", p90);
      result.put("ms_per_1000_events_p50", p50 * 1000 * 1000 / batchEvents);
      result.put("cpu_s_per_batch", cpuPerBatch);
      result.put("wall_s", wallSeconds);
      result.put("load_before", loadBefore);
      result.put("load_after", PipelineLatencyBenchmark.loadAverage());
      System.out.printf(Locale.ROOT, "RESULT run batch cost: %d batches of %d events timed, trigger p50 %.3f s, p90 %.3f s "
              + "(%.0f ms per 1,000 events at p50), %.3f CPU s per batch, load %s -> %s%n", timed.length, batchEvents, p50, p90,
          p50 * 1000 * 1000 / batchEvents, cpuPerBatch, loadBefore, result.get("load_after"));
      if (args.has("out")) {
        BenchFiles.writeJson(Path.of(args.required("out")), result);
      }
    } finally {
      spark.stop();
    }
  }
}
