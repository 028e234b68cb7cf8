package io.fraudlake.bench;

import static org.apache.spark.sql.functions.col;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.SparkSessions;
import io.fraudlake.spark.Tables;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A soak of {@code ./fraudlake run} as users run it, killed with SIGKILL at random moments and started
 * again while events keep landing, then checked for loss and doubling.
 *
 * <p>A producer renames a file into landing every {@code --file-ms} (500) ms, {@code --rate} (2,000)
 * events per second in all, event time = wall clock, for {@code --minutes} (30). About 0.5% of the
 * lines re-send an earlier event as it was (the same TransactionID and time: a duplicate silver must
 * drop) and 0.1% are not events (quarantine). {@code run} is a process of its own, started through the
 * {@code fraudlake} launcher; it is SIGKILLed after a random {@code --kill-min}..{@code --kill-max}
 * (60..240) seconds of life and started again at once. After the last file, the last process runs
 * until silver and gold stop growing, then stops with SIGTERM.
 *
 * <p>Checked: bronze holds every event line landed and quarantine every bad line, each once; silver
 * has one row per TransactionID, and every event the watermark has let out is there (lost = those
 * missing); gold has exactly one row per silver row; silver's features equal {@code silver --batch}
 * over the same bronze. Options: --root (the project), --conf, --home, --out, --markdown, --seed.
 */
public final class SoakBenchmark {
  private static final String[] PRODUCTS = {"W", "H", "C", "S", "R", "G", "D", "T"};

  private final Args args;
  private final Path root;
  private final Path home;
  private final Path conf;
  private final SplittableRandom random;

  private SoakBenchmark(Args args) {
    this.args = args;
    this.root = Path.of(args.required("root")).toAbsolutePath();
    this.home = Path.of(args.required("home")).toAbsolutePath();
    this.conf = Path.of(args.required("conf")).toAbsolutePath();
    this.random = new SplittableRandom(args.intValue("seed", 7));
  }

  public static void main(String[] argv) throws Exception {
    new SoakBenchmark(Args.parse(argv)).run();
  }

  /** What the producer landed: event lines, re-sent lines, bad lines, the IDs and the newest event time. */
  private static final class Landed {
    long eventLines;
    long resentLines;
    long badLines;
    final List<String> recent = new ArrayList<>();
  }

  private void run() throws Exception {
    int minutes = args.intValue("minutes", 30);
    int rate = args.intValue("rate", 2000);
    int fileMs = args.intValue("file-ms", 500);
    int cards = args.intValue("cards", 20_000);
    int killMin = args.intValue("kill-min", 60);
    int killMax = args.intValue("kill-max", 240);
    Files.createDirectories(home);
    FraudLakeConfig config = FraudLakeConfig.load(conf, home, Map.of("spark.console-progress", "false",
        "spark.conf.spark.ui.enabled", "false"));
    SparkSession spark = SparkSessions.getOrCreate(config);
    Lakehouse lakehouse = new Lakehouse(spark, config);
    Path model = saveModel(spark, home.resolve("model"));
    Path landing = config.landingDir();
    Files.createDirectories(landing);
    String loadBefore = PipelineLatencyBenchmark.loadAverage();
    System.err.printf(Locale.ROOT, "soak: %d events/s for %d min, SIGKILL every %d-%d s, home %s, load %s%n",
        rate, minutes, killMin, killMax, home, loadBefore);

    Landed landed = new Landed();
    List<Double> lifetimes = new ArrayList<>();
    int kills = 0;
    int starts = 0;
    long start = System.nanoTime();
    long end = start + Duration.ofMinutes(minutes).toNanos();
    int perFile = (int) ((long) rate * fileMs / 1000);
    Process process = launch(model, ++starts);
    long started = System.nanoTime();
    long killAt = started + seconds(killMin, killMax);
    for (int file = 0; System.nanoTime() < end; file++) {
      long due = start + (long) file * fileMs * 1_000_000L;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      land(landing, file, perFile, cards, landed);
      if (!process.isAlive()) {
        throw new IllegalStateException("run stopped by itself (exit " + process.exitValue() + "); see " + log(starts));
      }
      if (System.nanoTime() >= killAt) {
        process.destroyForcibly();
        process.waitFor();
        kills++;
        lifetimes.add((System.nanoTime() - started) / 1e9);
        System.err.printf(Locale.ROOT, "soak: SIGKILL %d after %.0f s (exit %d), %,d event lines landed%n", kills,
            lifetimes.get(lifetimes.size() - 1), process.exitValue(), landed.eventLines);
        process = launch(model, ++starts);
        started = System.nanoTime();
        killAt = started + seconds(killMin, killMax);
      }
    }
    System.err.printf(Locale.ROOT, "soak: producer done, %,d event lines; waiting for run to drain%n", landed.eventLines);
    drain(lakehouse, landed, process);
    process.destroy();
    process.waitFor();
    String loadAfter = PipelineLatencyBenchmark.loadAverage();

    Map<String, Object> result = verify(lakehouse, landed, config.duration("features.lateness"));
    result.put("minutes", minutes);
    result.put("rate", rate);
    result.put("kills", kills);
    result.put("starts", starts);
    result.put("mean_seconds_between_kills", lifetimes.stream().mapToDouble(Double::doubleValue).average().orElse(0));
    result.put("load_before", loadBefore);
    result.put("load_after", loadAfter);
    System.err.println("soak: " + result);
    BenchFiles.writeJson(Path.of(args.required("out")), result);
    Files.writeString(Path.of(args.required("markdown")), markdown(result));
    spark.stop();
  }

  private long seconds(int min, int max) {
    return Duration.ofSeconds(min + random.nextInt(max - min + 1)).toNanos();
  }

  private Path log(int start) {
    return home.resolve("run-" + start + ".log");
  }

  private Process launch(Path model, int start) throws IOException {
    List<String> cmd = List.of(root.resolve("fraudlake").toString(), "run", "--conf", conf.toString(), "--home", home.toString(),
        "--model-path", model.toString(), "--set", "spark.console-progress=false", "--set", "spark.conf.spark.ui.enabled=false");
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(start).toFile());
    builder.environment().putIfAbsent("FRAUDLAKE_DRIVER_MEMORY", "3g");
    builder.environment().remove("MLFLOW_TRACKING_URI");
    Process process = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    return process;
  }

  /** One file of events at wall-clock time, some re-sent as they were and some not events at all. */
  private void land(Path landing, int index, int events, int cards, Landed landed) throws IOException {
    Path hidden = landing.resolve(String.format(Locale.ROOT, ".soak-%06d.jsonl.tmp", index));
    try (Writer out = Files.newBufferedWriter(hidden, StandardCharsets.UTF_8)) {
      for (int e = 0; e < events; e++) {
        int dice = random.nextInt(1000);
        if (dice < 5 && !landed.recent.isEmpty()) {
          out.write(landed.recent.get(random.nextInt(landed.recent.size())));
          landed.resentLines++;
          continue;
        }
        if (dice < 6) {
          out.write("{\"TransactionID\":\"soak-bad-" + index + "-" + e + "\",\"event_timestamp\":\"not a time\"}\n");
          landed.badLines++;
          continue;
        }
        long now = System.currentTimeMillis();
        double amount = Math.round(Math.exp(3.2 + random.nextGaussian()) * 100) / 100.0;
        String line = String.format(Locale.ROOT,
            "{\"TransactionID\":\"soak-%d-%d\",\"event_timestamp\":%d,\"card_id\":\"card-%d\",\"TransactionAmt\":%.2f,"
                + "\"ProductCD\":\"%s\",\"card_country\":\"US\",\"merchant_country\":\"%s\"}%n",
            index, e, now, random.nextInt(cards), amount, PRODUCTS[random.nextInt(PRODUCTS.length)],
            random.nextInt(50) == 0 ? "GB" : "US");
        out.write(line);
        landed.eventLines++;
        // Re-sends pick from the last few files, so they reach the engine before and after its watermark.
        if (landed.recent.size() >= 20_000) {
          landed.recent.set(random.nextInt(landed.recent.size()), line);
        } else {
          landed.recent.add(line);
        }
      }
    }
    Files.move(hidden, landing.resolve(String.format(Locale.ROOT, "soak-%06d.jsonl", index)), StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Waits (up to 10 minutes) until bronze and quarantine hold as many rows as lines landed, then until
   * silver and gold have not grown for 20 s: the events after the newest one's watermark wait for
   * events that will not come.
   */
  private static void drain(Lakehouse lakehouse, Landed landed, Process process) throws InterruptedException {
    long lines = landed.eventLines + landed.resentLines + landed.badLines;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < deadline && process.isAlive()
        && lakehouse.read(Tables.BRONZE).count() + lakehouse.read(Tables.QUARANTINE).count() < lines) {
      Thread.sleep(2_000);
    }
    long last = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline && process.isAlive()) {
      long now = lakehouse.read(Tables.SILVER).count() + lakehouse.read(Tables.GOLD).count();
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (System.nanoTime() - stableSince > Duration.ofSeconds(20).toNanos()) {
        return;
      }
      Thread.sleep(2_000);
    }
  }

  private static Map<String, Object> verify(Lakehouse lakehouse, Landed landed, Duration lateness) {
    Map<String, Object> out = new LinkedHashMap<>();
    Dataset<Row> bronze = lakehouse.read(Tables.BRONZE);
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    Dataset<Row> gold = lakehouse.read(Tables.GOLD);
    long eventLines = landed.eventLines + landed.resentLines;
    long bronzeRows = bronze.count();
    long quarantineRows = lakehouse.read(Tables.QUARANTINE).count();
    long events = landed.eventLines;
    long silverRows = silver.count();
    long silverIds = silver.select("TransactionID").distinct().count();
    long goldRows = gold.count();
    long goldIds = gold.select("TransactionID").distinct().count();
    // Every event the watermark has let out: older than the newest event time read minus the lateness, with a margin.
    Instant newest = bronze.agg(org.apache.spark.sql.functions.max("event_timestamp")).first().getTimestamp(0).toInstant();
    Instant cutoff = newest.minus(lateness).minusSeconds(1);
    long due = bronze.where(col("event_timestamp").lt(java.sql.Timestamp.from(cutoff)))
        .select("TransactionID").distinct().count();
    long lost = bronze.where(col("event_timestamp").lt(java.sql.Timestamp.from(cutoff))).select("TransactionID")
        .except(silver.select("TransactionID")).count();
    long goldWithoutSilver = gold.select("TransactionID").except(silver.select("TransactionID")).count();
    long silverWithoutGold = silver.select("TransactionID").except(gold.select("TransactionID")).count();

    new SilverJob(lakehouse).runBatch("soak_silver_check");
    Dataset<Row> batch = lakehouse.read("soak_silver_check").join(silver.select("TransactionID"), "TransactionID")
        .drop("arrived_late");
    Dataset<Row> live = silver.drop("arrived_late").select(batch.columns()[0],
        java.util.Arrays.copyOfRange(batch.columns(), 1, batch.columns().length));
    long featureMismatches = batch.exceptAll(live).count() + live.exceptAll(batch).count();

    out.put("event_lines_landed", eventLines);
    out.put("events_landed", events);
    out.put("resent_lines", landed.resentLines);
    out.put("bad_lines", landed.badLines);
    out.put("bronze_rows", bronzeRows);
    out.put("quarantine_rows", quarantineRows);
    out.put("events_due", due);
    out.put("silver_rows", silverRows);
    out.put("gold_rows", goldRows);
    out.put("lost", lost + Math.max(0, eventLines - bronzeRows) + Math.max(0, landed.badLines - quarantineRows));
    out.put("doubled", (silverRows - silverIds) + (goldRows - goldIds) + Math.max(0, bronzeRows - eventLines)
        + Math.max(0, quarantineRows - landed.badLines));
    out.put("gold_without_silver", goldWithoutSilver);
    out.put("silver_without_gold", silverWithoutGold);
    out.put("feature_mismatches", featureMismatches);
    return out;
  }

  private static String markdown(Map<String, Object> r) {
    return String.format(Locale.ROOT, "| minutes | events | lines | re-sent | bad | SIGKILLs | lost | doubled | silver ≠ gold | features ≠ batch |%n"
            + "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n"
            + "| %s | %,d | %,d | %,d | %,d | %s | %s | %s | %d | %s |%n",
        r.get("minutes"), (long) r.get("events_landed"), (long) r.get("event_lines_landed") + (long) r.get("bad_lines"),
        (long) r.get("resent_lines"), (long) r.get("bad_lines"), r.get("kills"), r.get("lost"), r.get("doubled"),
        (long) r.get("gold_without_silver") + (long) r.get("silver_without_gold"), r.get("feature_mismatches"));
  }

  /** The production pipeline's shape fitted on generated rows, as an MLflow model directory with its drift reference. */
  private static Path saveModel(SparkSession spark, Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(MlflowModelDirectory.MLMODEL))) {
      return dir;
    }
    return BenchModels.saveMlflow(BenchModels.fitForest(BenchModels.silverRows(spark, 100_000, 0, Instant.now().getEpochSecond())), dir);
  }
}
