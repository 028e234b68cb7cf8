package io.fraudlake.silver;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.spark.BatchValues;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bronze → {@code silver_transactions_base}: one row per TransactionID with the eight features.
 *
 * <p><b>Batch</b> ({@link #runBatch}) deduplicates all of bronze and computes every window with
 * {@link WindowFeatures}. <b>Stream</b> ({@link #start}) reads bronze as a Delta stream and keeps its
 * own event-time state beside the checkpoint ({@link PendingEvents}, {@code checkpoints/silver/pending-events}):
 * the events not emitted yet. Each micro-batch:
 * <ol>
 *   <li>drops duplicates (within the batch, and of rows already pending or in silver); the copy kept
 *       is the first ingested, as in batch;
 *   <li>watermark W = newest event time seen − lateness. Pending always holds the newest event
 *       (nothing at or after W is emitted), so W needs no other state;
 *   <li>emits every pending or new event with event time &lt; W, with its window computed over
 *       itself, the other emitted events and the silver rows of the same card in the 300 s before
 *       it, appended tagged with the batch id (a retried batch adds nothing twice);
 *   <li>writes the batch's snapshot of the pending events (a retry starts from the same earlier one).
 * </ol>
 * An event that arrives within the lateness is emitted only when every event of its window has
 * arrived, so the stream equals the batch row for row. An event that arrives later than that (event
 * time below the watermark it finds) is still written, at once, with {@code arrived_late = true}:
 * its own window counts everything that has arrived, but the rows already in silver whose windows
 * it falls into are not rewritten, so theirs stay as computed (approximate for late data).
 *
 * <p>Spark's own watermark in {@code flatMapGroupsWithState} with an event-time timeout drops such
 * late rows before the function sees them (see SparkWatermarkBehaviourTest), which is why the
 * state here is explicit.
 */
public final class SilverJob {
  public static final String QUERY_NAME = "silver";
  private static final Logger LOG = LoggerFactory.getLogger(SilverJob.class);
  private static final long ROWS_PER_FILE = 500_000;

  public static final StructType SILVER_SCHEMA = BronzeParser.BRONZE_SCHEMA
      .add("log_transaction_amount", DataTypes.DoubleType, false)
      .add("is_high_value_txn", DataTypes.IntegerType, false)
      .add("is_international_txn", DataTypes.IntegerType, false)
      .add("txn_count_5min", DataTypes.LongType, false)
      .add("avg_amount_5min", DataTypes.DoubleType, false)
      .add("stddev_amount_5min", DataTypes.DoubleType, false)
      .add("product_diversity_5min", DataTypes.LongType, false)
      .add("arrived_late", DataTypes.BooleanType, false);

  private static final String[] EVENT_COLUMNS = BronzeParser.BRONZE_SCHEMA.fieldNames();

  private final Lakehouse lakehouse;
  private final WindowFeatures calculator;
  private final long windowSeconds;
  private final long latenessMicros;
  private final SilverStats stats = new SilverStats();
  private final PendingEvents pendingEvents;

  public SilverJob(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
    this.windowSeconds = lakehouse.config().longValue("features.window-seconds");
    this.calculator = new WindowFeatures(windowSeconds,
        lakehouse.config().decimal("features.high-value-threshold"));
    Duration lateness = lakehouse.config().duration("features.lateness");
    if (lateness.isNegative()) {
      throw new FraudLakeException("fraudlake.features.lateness must not be negative, got " + lateness);
    }
    this.latenessMicros = lateness.toNanos() / 1000;
    this.pendingEvents = streamPendingEvents(lakehouse);
  }

  public SilverStats stats() {
    return stats;
  }

  /** The features of already-deduplicated events; {@code _emit} and {@code arrived_late} set. */
  Dataset<Row> features(Dataset<Row> events) {
    WindowFeatures calc = calculator;
    // Grouped on the column rather than a key function, so Spark needs no extra pass that turns
    // every row into a Java object just to read its card.
    return events
        .groupBy(col("card_id"))
        .as(Encoders.STRING(), Encoders.row(events.schema()))
        .flatMapGroups((FlatMapGroupsFunction<String, Row, Row>) (card, rows) -> calc.compute(rows),
            Encoders.row(SILVER_SCHEMA));
  }

  /**
   * One row per TransactionID: the first ingested copy, ties broken on the row's content so batch
   * and stream choose the same copy.
   */
  static Dataset<Row> firstCopies(Dataset<Row> events) {
    Column[] ordered = new Column[EVENT_COLUMNS.length - 1];
    // ingested_at and source_file decide first: the copy that arrived first wins.
    ordered[0] = col("ingested_at").asc_nulls_last();
    ordered[1] = col("source_file").asc_nulls_last();
    int k = 2;
    for (String c : EVENT_COLUMNS) {
      if (!c.equals("TransactionID") && !c.equals("ingested_at") && !c.equals("source_file")) {
        ordered[k++] = col(c).asc_nulls_last();
      }
    }
    return events
        .withColumn("_copy", row_number().over(Window.partitionBy("TransactionID").orderBy(ordered)))
        .filter(col("_copy").equalTo(1))
        .drop("_copy");
  }

  /** Rebuilds silver from all of bronze (overwriting it). Returns the rows written. */
  public SilverStats runBatch(String targetTable) {
    long started = System.nanoTime();
    Dataset<Row> bronze = lakehouse.read(Tables.BRONZE).select(cols(EVENT_COLUMNS));
    long input = bronze.count();
    Dataset<Row> unique = firstCopies(bronze)
        .withColumn("_emit", lit(true))
        .withColumn("arrived_late", lit(false));
    Dataset<Row> silver = features(unique);
    org.apache.spark.sql.DataFrameWriter<Row> writer = silver.write().format("delta").mode("overwrite")
        .option("overwriteSchema", "true");
    if (lakehouse.catalogMode()) {
      writer.saveAsTable(lakehouse.qualifiedName(targetTable));
    } else {
      writer.save(lakehouse.path(targetTable).toString());
    }
    long written = lakehouse.read(targetTable).count();
    stats.addBatch(input, written, input - written, 0, System.nanoTime() - started);
    return stats;
  }

  /** Processes what bronze holds now, then stops; rows within the lateness stay pending. */
  public SilverStats runAvailableNow() {
    StreamingQuery query = start(Trigger.AvailableNow());
    Lakehouse.awaitTermination(query);
    return stats;
  }

  public StreamingQuery start(Trigger trigger) {
    lakehouse.createIfMissing(Tables.SILVER, SILVER_SCHEMA);
    org.apache.spark.sql.streaming.DataStreamReader reader = lakehouse.readStreamOf(Tables.BRONZE)
        .option("maxFilesPerTrigger", lakehouse.config().integer("silver.max-files-per-trigger"));
    Dataset<Row> bronze = (lakehouse.catalogMode()
        ? reader.table(lakehouse.qualifiedName(Tables.BRONZE))
        : reader.load(lakehouse.path(Tables.BRONZE).toString()))
        .select(cols(EVENT_COLUMNS));
    try {
      return bronze.writeStream()
          .queryName(QUERY_NAME)
          .trigger(trigger)
          .option("checkpointLocation", lakehouse.checkpoint(QUERY_NAME).resolve("stream").toString())
          .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::processBatch)
          .start();
    } catch (TimeoutException e) {
      throw new FraudLakeException("silver stream did not start: " + e.getMessage(), e);
    }
  }

  /** The events this stream has read from bronze and not emitted yet, beside its checkpoint. */
  static PendingEvents streamPendingEvents(Lakehouse lakehouse) {
    return new PendingEvents(lakehouse.checkpoint(QUERY_NAME).resolve("pending-events"), BronzeParser.BRONZE_SCHEMA,
        lakehouse.checkpoint(QUERY_NAME).resolve("pending"));
  }

  /** Where the stream keeps the events it has not emitted yet ({@link PendingEvents}). */
  public java.nio.file.Path pendingPath() {
    return pendingEvents.dir();
  }

  /** The events waiting for the watermark now. */
  Dataset<Row> pendingEvents() {
    return pendingEvents.before(lakehouse.spark(), Long.MAX_VALUE);
  }

  /** Events waiting for the watermark (0 before the first stream run). */
  public long pendingCount() {
    return pendingEvents.count(lakehouse.spark());
  }

  // Package-private so a test can replay a batch id the way Spark does after a crash.
  void processBatch(Dataset<Row> batch, Long batchId) {
    long started = System.nanoTime();
    SparkSession spark = batch.sparkSession();
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    // A pending event silver already holds was emitted by the live pipeline, which takes over the
    // events this stream leaves waiting (LiveSilverState).
    Dataset<Row> pending = pendingEvents.before(spark, batchId).select(cols(EVENT_COLUMNS))
        .join(silver.select("TransactionID"), "TransactionID", "left_anti")
        .select(cols(EVENT_COLUMNS))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> incoming = batch.persist(StorageLevel.MEMORY_AND_DISK());
    // Duplicates of silver are looked up by TransactionID over all of silver: a re-sent event may
    // carry any event time, so no time range can narrow this join without letting one through.
    Dataset<Row> fresh = firstCopies(incoming)
        .join(pending.select("TransactionID"), "TransactionID", "left_anti")
        .join(silver.select("TransactionID"), "TransactionID", "left_anti")
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> all = null;
    try {
      // One job for what the watermark needs: the counts, the newest pending and fresh events.
      Row sizes = incoming.select(col("event_timestamp"), lit(0).as("_src"))
          .unionByName(pending.select(col("event_timestamp"), lit(1).as("_src")))
          .unionByName(fresh.select(col("event_timestamp"), lit(2).as("_src")))
          .agg(count(when(col("_src").equalTo(0), 1)), count(when(col("_src").equalTo(2), 1)), count(when(col("_src").equalTo(1), 1)),
              max(when(col("_src").equalTo(1), col("event_timestamp"))), max(when(col("_src").equalTo(2), col("event_timestamp"))))
          .first();
      long input = sizes.getLong(0);
      long freshCount = sizes.getLong(1);
      long pendingCount = sizes.getLong(2);
      Timestamp pendingMax = sizes.getTimestamp(3);
      Timestamp freshMax = sizes.getTimestamp(4);
      long sized = System.nanoTime();
      Timestamp newest = pendingMax == null ? freshMax
          : freshMax == null ? pendingMax : (freshMax.after(pendingMax) ? freshMax : pendingMax);
      if (newest == null) {
        stats.addBatch(input, 0, input - freshCount, 0, System.nanoTime() - started);
        return;
      }
      Timestamp watermark = minus(newest, latenessMicros);
      // Late = already behind the watermark as it stood before this batch arrived.
      Column late = pendingMax == null ? lit(false) : col("event_timestamp").lt(BatchValues.timestamp(minus(pendingMax, latenessMicros)));
      all = pending.withColumn("arrived_late", lit(false))
          .unionByName(fresh.withColumn("arrived_late", late))
          .withColumn("_emit", col("event_timestamp").lt(BatchValues.timestamp(watermark)))
          .persist(StorageLevel.MEMORY_AND_DISK());
      Row emitting = all.agg(count(when(col("_emit"), 1)), count(when(col("_emit").and(col("arrived_late")), 1)),
          min(when(col("_emit"), col("event_timestamp"))), max(when(col("_emit"), col("event_timestamp")))).first();
      long emittedCount = emitting.getLong(0);
      long lateCount = emitting.getLong(1);
      long planned = System.nanoTime();
      if (emittedCount > 0) {
        appendFeatures(all.filter(col("_emit")), silver, emitting.getTimestamp(2), emitting.getTimestamp(3), emittedCount, batchId);
      }
      long appended = System.nanoTime();
      if (freshCount > 0 || emittedCount > 0) {
        Dataset<Row> stillPending = all.filter(not(col("_emit"))).select(cols(EVENT_COLUMNS));
        pendingEvents.write(stillPending.coalesce(outputFiles(pendingCount + freshCount - emittedCount)), batchId);
      }
      long done = System.nanoTime();
      LOG.debug("silver batch {}: {} in, {} fresh, {} emitted; dedup+watermark {} ms, plan {} ms, features+append {} ms, pending {} ms",
          batchId, input, freshCount, emittedCount, (sized - started) / 1_000_000, (planned - sized) / 1_000_000,
          (appended - planned) / 1_000_000, (done - appended) / 1_000_000);
      stats.addBatch(input, emittedCount, input - freshCount, lateCount, done - started);
    } finally {
      incoming.unpersist();
      pending.unpersist();
      fresh.unpersist();
      if (all != null) {
        all.unpersist();
      }
    }
  }

  /**
   * Computes the features of {@code toEmit} over themselves and silver's rows of the same cards in
   * the window before them, and appends them to silver, once per batch id. The anti-joins above
   * already keep every TransactionID silver holds out of {@code toEmit}, so an append tagged with
   * (writer id, batch id) gives one row per TransactionID: a batch retried after the append committed
   * skips it as a whole ({@link DeltaWrites}), and one retried before it writes what it would have written.
   */
  private void appendFeatures(Dataset<Row> toEmit, Dataset<Row> silver, Timestamp first, Timestamp last, long rows, long batchId) {
    Dataset<Row> ranges = toEmit.groupBy("card_id")
        .agg(min("event_timestamp").as("_from"), max("event_timestamp").as("_to"));
    // The batch-wide time range lets Delta skip every silver file outside it (file statistics) before
    // the per-card ranges narrow the rows down.
    Dataset<Row> context = silver.select(cols(EVENT_COLUMNS))
        .where(col("event_timestamp").geq(lit(minus(first, windowSeconds * 1_000_000L))).and(col("event_timestamp").leq(lit(last))))
        .join(ranges, "card_id")
        .filter(col("event_timestamp").geq(col("_from").minus(functionsInterval(windowSeconds)))
            .and(col("event_timestamp").leq(col("_to"))))
        .select(cols(EVENT_COLUMNS))
        .withColumn("arrived_late", lit(false))
        .withColumn("_emit", lit(false));
    Dataset<Row> emitted = features(toEmit.unionByName(context)).coalesce(outputFiles(rows));
    DeltaWrites.appendOnce(lakehouse, emitted, Tables.SILVER, DeltaWrites.appId(lakehouse.spark(), QUERY_NAME), batchId);
  }

  /**
   * Files per write: one per {@value #ROWS_PER_FILE} rows. A micro-batch of a few thousand rows
   * would otherwise leave one tiny file per shuffle partition, and every later batch reads silver's
   * files (duplicates, window context) and the pending snapshot's.
   */
  private int outputFiles(long rows) {
    int partitions = lakehouse.config().integer("spark.shuffle-partitions");
    return (int) Math.max(1, Math.min(partitions, rows / ROWS_PER_FILE + 1));
  }

  private static Column functionsInterval(long seconds) {
    return org.apache.spark.sql.functions.expr("INTERVAL " + seconds + " SECONDS");
  }

  private static Timestamp minus(Timestamp t, long micros) {
    return WindowFeatures.timestamp(WindowFeatures.micros(t) - micros);
  }

  static Column[] cols(String[] names) {
    return Arrays.stream(names).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }
}
