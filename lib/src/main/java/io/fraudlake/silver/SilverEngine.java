package io.fraudlake.silver;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.config.FraudLakeConfig;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The one silver engine: a streaming plan from events to silver rows, keyed by card on Spark's state
 * store ({@link SilverProcessor}). The {@code silver} stream feeds it bronze; the live pipeline feeds
 * it landing's parsed lines and gets bronze and quarantine rows back beside silver's. What comes out
 * is written by {@link SilverSink}.
 *
 * <p>Each output row has a {@link #KIND}: {@link #SILVER} (an event with its features), {@link #LATE}
 * (an event behind the watermark, features to be computed by the sink), {@link #DUPLICATE} (a copy
 * of a TransactionID seen before, counted and not written), and with echo {@link #BRONZE} and
 * {@link #QUARANTINE}.
 */
public final class SilverEngine {
  public static final String KIND = "_kind";
  public static final String SILVER = "silver";
  public static final String LATE = "late";
  public static final String DUPLICATE = "duplicate";
  public static final String BRONZE = "bronze";
  public static final String QUARANTINE = "quarantine";

  /** What the processor reads: bronze's columns, then the raw line and the parser's reason (both NULL from bronze). */
  static final StructType INPUT_SCHEMA = nullable(BronzeParser.BRONZE_SCHEMA)
      .add("raw", DataTypes.StringType)
      .add("reason", DataTypes.StringType);

  /** Silver's columns (nullable: not every kind has features), quarantine's two of its own, and the kind. */
  public static final StructType OUTPUT_SCHEMA = outputSchema();
  private static final int OUTPUT_RAW = OUTPUT_SCHEMA.fieldIndex("raw");
  private static final int OUTPUT_REASON = OUTPUT_SCHEMA.fieldIndex("reason");
  private static final int OUTPUT_KIND = OUTPUT_SCHEMA.fieldIndex(KIND);
  private static final int OUTPUT_LATE = OUTPUT_SCHEMA.fieldIndex("arrived_late");

  private SilverEngine() {}

  /**
   * Silver's rows for a stream of events: {@code events} has bronze's columns, and {@code raw} and
   * {@code reason} when {@code echo} is set. Sets the state store settings of {@code config} on the
   * session, which the query takes when it starts.
   */
  public static Plan plan(Dataset<Row> events, FraudLakeConfig config, boolean echo) {
    applyStateStore(events.sparkSession(), config);
    Duration lateness = config.duration("features.lateness");
    if (lateness.isNegative()) {
      throw new FraudLakeException("fraudlake.features.lateness must not be negative, got " + lateness);
    }
    Duration horizon = config.duration("features.dedupe-horizon");
    if (horizon.isNegative() || horizon.isZero()) {
      throw new FraudLakeException("fraudlake.features.dedupe-horizon must be positive, got " + horizon);
    }
    long windowSeconds = config.longValue("features.window-seconds");
    WindowFeatures calculator = new WindowFeatures(windowSeconds, config.decimal("features.high-value-threshold"));
    Dataset<Row> input = echo ? events : events.withColumn("raw", lit(null).cast(DataTypes.StringType))
        .withColumn("reason", lit(null).cast(DataTypes.StringType));
    // Spark's watermark is taken on a copy of the event time that the stateful operator does not
    // see: with the watermark column among its input, Spark would drop the events behind it before
    // the processor could write them as late. Of landing's lines it takes the events the processor
    // keeps: not a line quarantined, least of all one dated in the future, which would put every
    // later event behind the watermark.
    // A line that did not parse may have no card: it is keyed by "" and only echoed.
    // In a stream, current_timestamp() is the micro-batch's time, the processor's ingest time.
    Column eventTime = echo
        ? when(col("reason").isNull().and(expr("NOT (" + BronzeParser.aheadOfIngest("event_timestamp", "current_timestamp()") + ")")),
            col("event_timestamp"))
        : col("event_timestamp");
    Dataset<Row> watermarked = input
        .withColumn("card_id", coalesce(col("card_id"), lit("")))
        .withColumn("_event_time", eventTime)
        .withWatermark("_event_time", lateness.toMillis() + " milliseconds")
        .select(Arrays.stream(INPUT_SCHEMA.fieldNames()).map(c -> col(c)).toArray(Column[]::new));
    LongAccumulator read = events.sparkSession().sparkContext().longAccumulator("silver engine input rows");
    Dataset<Row> output = watermarked
        .groupBy(col("card_id"))
        .as(Encoders.STRING(), Encoders.row(INPUT_SCHEMA))
        .transformWithState(new SilverProcessor(calculator, lateness, windowSeconds, horizon, echo, read), TimeMode.EventTime(),
            OutputMode.Append(), Encoders.row(OUTPUT_SCHEMA));
    return new Plan(output, read);
  }

  /** The engine's output stream, and a count of the rows it has read (approximate where Spark retries a task). */
  public record Plan(Dataset<Row> output, LongAccumulator input) {
    /** Rows read since the last call. */
    public long takeInputCount() {
      synchronized (input) {
        long n = input.value();
        input.reset();
        return n;
      }
    }
  }

  /**
   * Starts the engine's query. Its state store is split into {@code state-store.partitions}
   * partitions: Spark takes the count from the session's shuffle partitions when the query first
   * starts and keeps it in the checkpoint from then on, so it is set for this start alone (Spark
   * copies the session's settings into the query's own as it starts) and the session keeps its own.
   */
  public static StreamingQuery start(DataStreamWriter<Row> writer, SparkSession spark, FraudLakeConfig config)
      throws TimeoutException {
    int partitions = config.integer("state-store.partitions");
    if (partitions < 1) {
      throw new FraudLakeException("fraudlake.state-store.partitions must be at least 1, got " + partitions);
    }
    String key = "spark.sql.shuffle.partitions";
    String sessionValue = spark.conf().get(key);
    spark.conf().set(key, Integer.toString(partitions));
    try {
      return writer.start();
    } finally {
      spark.conf().set(key, sessionValue);
    }
  }

  /** The Spark settings of the {@code state-store} configuration section (provider, changelog checkpointing, ...). */
  public static Map<String, String> stateStoreSettings(FraudLakeConfig config) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("spark.sql.streaming.stateStore.providerClass", config.string("state-store.provider"));
    settings.put("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled",
        Boolean.toString(config.flag("state-store.changelog-checkpointing")));
    settings.putAll(config.stringMap("state-store.conf"));
    return settings;
  }

  private static void applyStateStore(SparkSession spark, FraudLakeConfig config) {
    stateStoreSettings(config).forEach((k, v) -> spark.conf().set(k, v));
  }

  /** Silver's rows among the engine's output, in silver's schema. */
  public static Dataset<Row> silverRows(Dataset<Row> output) {
    return ofKind(output, SILVER).select(SilverJob.cols(SilverJob.SILVER_SCHEMA.fieldNames()));
  }

  public static Dataset<Row> ofKind(Dataset<Row> output, String kind) {
    return output.filter(col(KIND).equalTo(kind));
  }

  /** An output row of {@code kind} carrying {@code row}'s leading columns (bronze's, or silver's with features). */
  static Row output(Row row, String kind) {
    Object[] values = new Object[OUTPUT_SCHEMA.size()];
    for (int i = 0; i < row.length(); i++) {
      values[i] = row.get(i);
    }
    if (kind.equals(LATE)) {
      values[OUTPUT_LATE] = true;
    }
    values[OUTPUT_KIND] = kind;
    return new GenericRowWithSchema(values, OUTPUT_SCHEMA);
  }

  static Row quarantine(String raw, String reason, String sourceFile, Timestamp ingestedAt) {
    Object[] values = new Object[OUTPUT_SCHEMA.size()];
    values[OUTPUT_SCHEMA.fieldIndex("source_file")] = sourceFile;
    values[OUTPUT_SCHEMA.fieldIndex("ingested_at")] = ingestedAt;
    values[OUTPUT_RAW] = raw;
    values[OUTPUT_REASON] = reason;
    values[OUTPUT_KIND] = QUARANTINE;
    return new GenericRowWithSchema(values, OUTPUT_SCHEMA);
  }

  private static StructType nullable(StructType schema) {
    StructType out = new StructType();
    for (StructField f : schema.fields()) {
      out = out.add(f.name(), f.dataType(), true);
    }
    return out;
  }

  private static StructType outputSchema() {
    return nullable(SilverJob.SILVER_SCHEMA).add("raw", DataTypes.StringType).add("reason", DataTypes.StringType).add(KIND, DataTypes.StringType);
  }
}
