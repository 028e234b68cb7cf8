package io.fraudlake.pipeline;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.silver.LiveSilverState;
import io.fraudlake.spark.BatchThreads;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One micro-batch of the live pipeline: landing lines → bronze (and quarantine) → silver → gold,
 * all in one {@code foreachBatch}, so an event is scored in the batch that ingests it once the
 * watermark lets it out, rather than after three streams have each polled the table before it.
 *
 * <p>The landing lines are parsed and collected once (a micro-batch holds seconds of events); silver
 * is planned in driver memory ({@link LiveSilverState}); the appends to bronze, quarantine and silver
 * and the pending snapshot run side by side while the emitted rows are scored into gold. Every
 * append is tagged with (writer id, batch id) ({@link DeltaWrites}) and the batch's ingest time is
 * recorded first ({@link IngestTimes}), so a batch Spark replays after a crash, wherever it died,
 * writes what the first attempt would have and nothing twice.
 */
final class LiveBatch implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(LiveBatch.class);
  static final String SILVER_WRITER = "live-silver";

  private final transient Lakehouse lakehouse;
  private final transient Path stateDir;
  private final transient IngestTimes ingestTimes;
  private final transient VoidFunction2<Dataset<Row>, Long> scoring;
  /** Opened at the first batch of each run (its id tells whether it is a replay); dropped when a batch fails. */
  private transient LiveSilverState silver;

  LiveBatch(Lakehouse lakehouse, Path stateDir, VoidFunction2<Dataset<Row>, Long> scoring) {
    this.lakehouse = lakehouse;
    this.stateDir = stateDir;
    this.ingestTimes = new IngestTimes(stateDir.resolve("ingest-times"));
    this.scoring = scoring;
  }

  @Override
  public void call(Dataset<Row> lines, Long batchId) throws Exception {
    long started = System.nanoTime();
    SparkSession spark = lines.sparkSession();
    Timestamp ingestedAt = ingestTimes.of(batchId);
    Parsed parsed = Parsed.of(BronzeParser.parse(lines, ingestedAt));
    long parsedAt = System.nanoTime();
    String silverWriter = DeltaWrites.appId(spark, SILVER_WRITER);
    try {
      if (silver == null) {
        silver = LiveSilverState.open(lakehouse, stateDir, silverWriter, batchId);
      }
      List<CompletableFuture<?>> writes = new ArrayList<>();
      writes.add(BatchThreads.run("fraudlake-live-bronze", () -> DeltaWrites.appendOnce(lakehouse,
          oneTask(spark.createDataFrame(parsed.good(), BronzeParser.BRONZE_SCHEMA)), Tables.BRONZE, BronzeJob.writerId(spark, Tables.BRONZE), batchId)));
      if (!parsed.bad().isEmpty()) {
        writes.add(BatchThreads.run("fraudlake-live-quarantine", () -> DeltaWrites.appendOnce(lakehouse,
            oneTask(spark.createDataFrame(parsed.bad(), BronzeParser.QUARANTINE_SCHEMA)), Tables.QUARANTINE,
            BronzeJob.writerId(spark, Tables.QUARANTINE), batchId)));
      }
      LiveSilverState.Step step = silver.plan(parsed.good(), batchId);
      long plannedAt = System.nanoTime();
      if (!step.emitted().isEmpty()) {
        writes.add(BatchThreads.run("fraudlake-live-silver", () -> DeltaWrites.appendOnce(lakehouse, oneTask(silver.silverRows(step)),
            Tables.SILVER, silverWriter, batchId)));
      }
      writes.add(BatchThreads.run("fraudlake-live-pending", () -> silver.writeSnapshot(step)));
      try {
        if (!step.emitted().isEmpty()) {
          // The file path and the extra fields are silver's longest strings and no model reads them;
          // Spark folds the projection into the local rows, so the scoring tasks do not carry them.
          scoring.call(oneTask(silver.silverRows(step).drop("source_file", "extra_fields")), batchId);
        }
      } finally {
        BatchThreads.joinAll(writes);
      }
      silver.advance(step);
      LOG.debug("live batch {}: {} lines, {} quarantined, {} to silver ({} late, {} duplicates), {} pending; "
              + "parse {} ms, plan {} ms, writes and scoring {} ms", batchId, parsed.good().size() + parsed.bad().size(),
          parsed.bad().size(), step.emitted().size(), step.late(), step.duplicates(), step.pending().size(),
          (parsedAt - started) / 1_000_000, (plannedAt - parsedAt) / 1_000_000, (System.nanoTime() - plannedAt) / 1_000_000);
    } catch (Exception | Error e) {
      // Some writes may have landed: the next attempt starts from what Delta and the snapshots hold.
      silver = null;
      throw e;
    }
  }

  /**
   * A micro-batch's rows in one partition: a few thousand rows split over the cores would cost a
   * second task per job (each one deserialising the Hadoop configuration and writing a file of its
   * own) and save nothing.
   */
  private static Dataset<Row> oneTask(Dataset<Row> rows) {
    return rows.coalesce(1);
  }

  /** A batch's parsed lines, collected in one job and split into bronze rows and quarantine rows. */
  private record Parsed(List<Row> good, List<Row> bad) {
    static Parsed of(Dataset<Row> parsedLines) {
      // The raw line is kept for quarantine only: a good row would carry it to the driver for nothing.
      Dataset<Row> parsed = parsedLines.withColumn("raw", org.apache.spark.sql.functions.when(
          org.apache.spark.sql.functions.col("reason").isNotNull(), org.apache.spark.sql.functions.col("raw")));
      StructType schema = parsed.schema();
      int reason = schema.fieldIndex("reason");
      int[] bronze = indexes(schema, BronzeParser.BRONZE_SCHEMA);
      int[] quarantine = indexes(schema, BronzeParser.QUARANTINE_SCHEMA);
      List<Row> good = new ArrayList<>();
      List<Row> bad = new ArrayList<>();
      for (Row r : parsed.collectAsList()) {
        if (r.isNullAt(reason)) {
          good.add(project(r, bronze));
        } else {
          bad.add(project(r, quarantine));
        }
      }
      return new Parsed(good, bad);
    }

    private static int[] indexes(StructType from, StructType to) {
      return java.util.Arrays.stream(to.fieldNames()).mapToInt(from::fieldIndex).toArray();
    }

    private static Row project(Row r, int[] fields) {
      Object[] values = new Object[fields.length];
      for (int i = 0; i < fields.length; i++) {
        values[i] = r.get(fields[i]);
      }
      return RowFactory.create(values);
    }
  }
}
