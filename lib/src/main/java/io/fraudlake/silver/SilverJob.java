package io.fraudlake.silver;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.spark.BatchThreads;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Feeders;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * bronze → {@code silver_transactions_base}: one row per TransactionID with the eight features.
 *
 * <p><b>Batch</b> ({@link #runBatch}) deduplicates all of bronze ({@link #firstCopies}) and computes
 * every window with {@link WindowFeatures}. <b>Stream</b> ({@link #start}) reads bronze as a Delta
 * stream through the {@link SilverEngine}, whose state (per card, in Spark's state store) holds the
 * events waiting for the watermark, what their windows need of earlier events, and the IDs seen; each
 * micro-batch's output is appended by {@link SilverSink}, once per batch id. An event that arrives
 * within the lateness is emitted once the watermark has passed it, with every event of its window
 * arrived, so the stream equals the batch row for row. A later one is still written, at once, with
 * {@code arrived_late = true}: its own window counts everything that has arrived, but the rows already
 * in silver whose windows it falls into are not rewritten (approximate for late data).
 */
public final class SilverJob {
  public static final String QUERY_NAME = "silver";
  private static final Logger LOG = LoggerFactory.getLogger(SilverJob.class);

  public static final StructType SILVER_SCHEMA = BronzeParser.BRONZE_SCHEMA
      .add("log_transaction_amount", DataTypes.DoubleType, false)
      .add("is_high_value_txn", DataTypes.IntegerType, false)
      .add("is_international_txn", DataTypes.IntegerType, false)
      .add("txn_count_5min", DataTypes.LongType, false)
      .add("avg_amount_5min", DataTypes.DoubleType, false)
      .add("stddev_amount_5min", DataTypes.DoubleType, false)
      .add("product_diversity_5min", DataTypes.LongType, false)
      .add("arrived_late", DataTypes.BooleanType, false);

  static final String[] EVENT_COLUMNS = BronzeParser.BRONZE_SCHEMA.fieldNames();

  private final Lakehouse lakehouse;
  private final WindowFeatures calculator;
  private final SilverStats stats = new SilverStats();

  public SilverJob(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
    this.calculator = new WindowFeatures(lakehouse.config().longValue("features.window-seconds"),
        lakehouse.config().decimal("features.high-value-threshold"));
  }

  public SilverStats stats() {
    return stats;
  }

  /** The features of already-deduplicated events with {@code _emit} and {@code arrived_late} set. */
  static Dataset<Row> features(WindowFeatures calc, Dataset<Row> events) {
    // Grouped on the column rather than a key function, so Spark needs no extra pass that turns
    // every row into a Java object just to read its card.
    return events
        .groupBy(col("card_id"))
        .as(Encoders.STRING(), Encoders.row(events.schema()))
        .flatMapGroups((FlatMapGroupsFunction<String, Row, Row>) (card, rows) -> calc.compute(rows),
            Encoders.row(SILVER_SCHEMA));
  }

  /** Bronze's columns in the order that decides which copy of a TransactionID is first (TransactionID itself aside). */
  static String[] firstCopyOrder() {
    List<String> order = new ArrayList<>(List.of("ingested_at", "source_file"));
    for (String c : EVENT_COLUMNS) {
      if (!order.contains(c) && !c.equals("TransactionID")) {
        order.add(c);
      }
    }
    return order.toArray(String[]::new);
  }

  /**
   * One row per TransactionID: the first ingested copy, ties broken on the row's content, in the
   * order {@link FirstCopyOrder} applies to the stream, so batch and stream choose the same copy.
   */
  static Dataset<Row> firstCopies(Dataset<Row> events) {
    Column[] ordered = Arrays.stream(firstCopyOrder()).map(c -> col(c).asc_nulls_last()).toArray(Column[]::new);
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
    Dataset<Row> silver = features(calculator, unique);
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
    Feeders.claim(lakehouse, Tables.SILVER, QUERY_NAME);
    lakehouse.createIfMissing(Tables.SILVER, SILVER_SCHEMA);
    SilverState.requireStateFor(lakehouse, checkpoint(lakehouse), QUERY_NAME);
    org.apache.spark.sql.streaming.DataStreamReader reader = lakehouse.readStreamOf(Tables.BRONZE)
        .option("maxFilesPerTrigger", lakehouse.config().integer("silver.max-files-per-trigger"));
    Dataset<Row> bronze = (lakehouse.catalogMode()
        ? reader.table(lakehouse.qualifiedName(Tables.BRONZE))
        : reader.load(lakehouse.path(Tables.BRONZE).toString()))
        .select(cols(EVENT_COLUMNS));
    SilverSink sink = new SilverSink(lakehouse);
    try {
      SilverEngine.Plan plan = SilverEngine.plan(bronze, lakehouse.config(), false);
      return SilverEngine.start(plan.output().writeStream()
          .queryName(QUERY_NAME)
          .trigger(trigger)
          .option("checkpointLocation", checkpoint(lakehouse).toString())
          .foreachBatch((VoidFunction2<Dataset<Row>, Long>) (output, batchId) -> writeBatch(sink, plan, output, batchId)),
          lakehouse.spark(), lakehouse.config());
    } catch (TimeoutException e) {
      throw new FraudLakeException("silver stream did not start: " + e.getMessage(), e);
    }
  }

  /** The silver stream's checkpoint: its offsets and its state store. */
  public static java.nio.file.Path checkpoint(Lakehouse lakehouse) {
    return lakehouse.checkpoint(QUERY_NAME).resolve("stream");
  }

  /** Events waiting for the watermark in the silver stream's state (0 before its first run). */
  public long pendingCount() {
    return SilverState.pendingCount(lakehouse.spark(), checkpoint(lakehouse));
  }

  private void writeBatch(SilverSink sink, SilverEngine.Plan plan, Dataset<Row> output, long batchId) {
    long started = System.nanoTime();
    try (SilverSink.KeptOutput kept = SilverSink.keep(output, batchId)) {
      SilverSink.Written written = sink.write(kept.rows(), kept.kinds(), DeltaWrites.appId(output.sparkSession(), QUERY_NAME), batchId);
      try {
        BatchThreads.join(written.append());
      } finally {
        written.release();
      }
      long duplicates = written.count(SilverEngine.DUPLICATE) + written.lateDuplicates();
      long input = plan.takeInputCount();
      LOG.debug("silver batch {}: {} written ({} late), {} duplicates in {} ms", batchId, written.written(), written.late(),
          duplicates, (System.nanoTime() - started) / 1_000_000);
      stats.addBatch(input, written.written(), duplicates, written.late() - written.lateDuplicates(), System.nanoTime() - started);
    }
  }

  static Column[] cols(String[] names) {
    return Arrays.stream(names).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }
}
