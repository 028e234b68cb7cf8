package io.fraudlake.demo;

import static org.apache.spark.sql.functions.col;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.ModelStore;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.RegistryModelSource;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.Progress;
import io.fraudlake.training.TrainingJob;
import io.fraudlake.training.TrainingResult;
import io.fraudlake.training.TrainingSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * {@code demo}: generate → bronze → silver → train → score, each stage through the same jobs the
 * separate commands run, then a {@link DemoReport} queried back from the tables.
 */
public final class DemoRun {
  /** Marks a folder the demo created, so a re-run may delete it without asking. */
  public static final String MARKER = ".fraudlake-demo";
  private static final int STAGES = 5;
  private static final String LABEL = "isFraud";

  private final Lakehouse lakehouse;
  private final ModelStore models;
  private final PrintStream out;

  public DemoRun(Lakehouse lakehouse, ModelRegistry registry, PrintStream out) {
    this.lakehouse = lakehouse;
    this.models = ModelSources.store(lakehouse.config(), registry);
    this.out = out;
  }

  /**
   * Empties the demo's runtime folder before Spark opens anything in it. A folder the demo did not
   * create is only deleted with {@code force}: a mistyped --home must not cost a user their data.
   */
  public static void prepareHome(Path home, boolean force) {
    try {
      if (Files.isDirectory(home) && !isEmpty(home)) {
        if (!force && !Files.exists(home.resolve(MARKER))) {
          throw new FraudLakeException(home + " exists and was not created by the demo; "
              + "pass --fresh to delete it, or choose another --home");
        }
        deleteTree(home);
      }
      Files.createDirectories(home);
      Files.writeString(home.resolve(MARKER), "Runtime folder of './fraudlake demo'; deleted and rebuilt by every run.\n");
    } catch (IOException e) {
      throw new FraudLakeException("cannot prepare the demo folder " + home + ": " + e.getMessage(), e);
    }
  }

  public DemoReport run(DemoOptions options) {
    long started = System.nanoTime();
    FraudLakeConfig config = lakehouse.config();
    out.println("demo: runtime folder " + config.home() + " (rebuilt on every run)");

    GeneratorOptions generator = GeneratorOptions.of(options.rows(), DemoOptions.START, options.seed())
        .withSpan(Duration.ofDays(options.days()));
    TransactionGenerator.Result generated = stage(1, "generate",
        () -> new TransactionGenerator(generator).writeTo(config.landingDir(), "demo-s" + options.seed()),
        r -> String.format(Locale.ROOT, "%,d transactions (%,d fraud) for %,d cards over %d days in %d files",
            r.rows(), r.fraudRows(), generator.cards(), options.days(), r.files().size()));

    BronzeStats bronze = stage(2, "bronze", () -> new BronzeJob(lakehouse).runAvailableNow(),
        s -> String.format(Locale.ROOT, "%,d rows, %,d quarantined", s.written(), s.quarantined()));

    SilverJob silverJob = new SilverJob(lakehouse);
    stage(3, "silver", () -> {
      SilverStats s = silverJob.runAvailableNow();
      s.setWaiting(silverJob.pendingCount());
      return s;
    }, s -> String.format(Locale.ROOT, "%,d rows, %,d duplicates removed, %,d waiting for the watermark",
        s.written(), s.duplicates(), s.waiting()));

    TrainingResult trained = stage(4, "train", () -> {
      // Training is the one long stage without streaming progress: say what is happening before it starts.
      out.println(String.format(Locale.ROOT, "[4/%d] train: fitting %d trees on the earlier %.0f%% of silver, "
          + "evaluating on the rest ...", STAGES, config.integer("model.trees"), 100 * config.decimal("model.train-fraction")));
      // The training job's own step lines would break the one-line-per-stage display.
      return new TrainingJob(lakehouse, models, Progress.silent())
          .run(TrainingSettings.fromConfig(config), "challenger", config.string("scoring.alias"));
    }, t -> String.format(Locale.ROOT, "%s version %d @%s, ROC-AUC %.4f, PR-AUC %.4f", t.modelName(), t.version(),
        String.join(" @", t.aliases()), t.metrics().get("roc_auc"), t.metrics().get("pr_auc")));

    String prodUri = ModelSources.defaultUri(config);
    ScoringStatus status = ScoringStatus.silent();
    stage(5, "score", () -> {
      ProductionModel model = ProductionModel.load(new RegistryModelSource(models, ModelUri.parse(prodUri)),
          config.duration("scoring.alias-check-interval"));
      StreamingQuery query = new ScoringStream(lakehouse, model, status).start(true);
      ScoringStream.await(query, status);
      return model;
    }, m -> String.format(Locale.ROOT, "%,d rows into %s with %s, %,d alerts", status.rows(),
        lakehouse.qualifiedName(Tables.GOLD), prodUri, status.anomalies()));

    return report(silverJob, trained, prodUri, (System.nanoTime() - started) / 1e9);
  }

  private DemoReport report(SilverJob silverJob, TrainingResult trained, String prodUri, double seconds) {
    FraudLakeConfig config = lakehouse.config();
    long landed = lakehouse.spark().read().text(config.landingDir().toString()).count();
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    Dataset<Row> gold = lakehouse.read(Tables.GOLD);
    Dataset<Row> labelled = gold.join(silver.select(col(GoldSchema.TRANSACTION_ID), col(LABEL)),
        GoldSchema.TRANSACTION_ID, "left");
    Dataset<Row> fraud = labelled.where(col(LABEL).equalTo(1));

    List<DemoReport.Suspect> top = new ArrayList<>();
    for (Row r : labelled.orderBy(col(GoldSchema.SCORE).desc(), col(GoldSchema.TRANSACTION_ID))
        .select(GoldSchema.TRANSACTION_ID, GoldSchema.CARD_ID, GoldSchema.EVENT_TIMESTAMP, GoldSchema.AMOUNT,
            GoldSchema.SCORE, LABEL)
        .limit(10).collectAsList()) {
      top.add(new DemoReport.Suspect(r.getString(0), r.getString(1), r.getTimestamp(2), r.getDouble(3), r.getDouble(4),
          r.isNullAt(5) ? null : ((Number) r.get(5)).intValue()));
    }
    return new DemoReport(
        config.home().toAbsolutePath(),
        config.lakehouseDir().toAbsolutePath(),
        landed,
        lakehouse.read(Tables.BRONZE).count(),
        lakehouse.read(Tables.QUARANTINE).count(),
        silver.count(),
        silverJob.pendingCount(),
        gold.count(),
        trained.metrics().get("roc_auc"),
        trained.metrics().get("pr_auc"),
        gold.where(col(GoldSchema.IS_ANOMALY)).count(),
        fraud.where(col(GoldSchema.IS_ANOMALY)).count(),
        fraud.count(),
        top,
        trained.modelUri(),
        prodUri,
        trained.registry(),
        trained.reportDir().toAbsolutePath(),
        trained.plots(),
        seconds);
  }

  private <T> T stage(int number, String name, Supplier<T> work, java.util.function.Function<T, String> outcome) {
    long start = System.nanoTime();
    T result = work.get();
    out.println(String.format(Locale.ROOT, "[%d/%d] %s: %s (%.1f s)", number, STAGES, name, outcome.apply(result),
        (System.nanoTime() - start) / 1e9));
    out.flush();
    return result;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
