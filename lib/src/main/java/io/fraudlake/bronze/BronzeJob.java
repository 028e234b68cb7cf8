package io.fraudlake.bronze;

import static org.apache.spark.sql.functions.col;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Feeders;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Landing JSON lines → {@code bronze_transactions} and {@code bronze_quarantine}, as a Structured
 * Streaming query over the landing folder (text source, so the raw line survives for quarantine) or,
 * with {@code source.kind = kafka}, over a Kafka topic whose record values are those lines.
 *
 * <p>Both tables are written from one {@code foreachBatch}, each write tagged with the query's
 * (query id, batch id) ({@link DeltaWrites}): if a batch fails between the two writes, Spark re-runs
 * it and the write already committed is skipped, so every input line ends up in exactly one of the tables, once. The
 * file source's checkpoint remembers the files it has read (the Kafka source's, the offsets), so re-running adds nothing.
 */
public final class BronzeJob {
  public static final String QUERY_NAME = "bronze";
  private static final Logger LOG = LoggerFactory.getLogger(BronzeJob.class);

  private final Lakehouse lakehouse;
  private final BronzeStats stats = new BronzeStats();

  public BronzeJob(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
  }

  public BronzeStats stats() {
    return stats;
  }

  /** Reads everything in the landing folder now, then stops. */
  public BronzeStats runAvailableNow() {
    StreamingQuery query = start(Trigger.AvailableNow());
    Lakehouse.awaitTermination(query);
    return stats;
  }

  /** Starts the stream; {@code Trigger.AvailableNow()} or a processing-time trigger. */
  public StreamingQuery start(Trigger trigger) {
    Feeders.claim(lakehouse, Tables.BRONZE, QUERY_NAME);
    Dataset<Row> lines = sourceLines(lakehouse);
    try {
      return lines.writeStream()
          .queryName(QUERY_NAME)
          .trigger(trigger)
          .option("checkpointLocation", lakehouse.checkpoint(QUERY_NAME).toString())
          .foreachBatch((VoidFunction2<Dataset<Row>, Long>) this::writeBatch)
          .start();
    } catch (TimeoutException e) {
      throw new FraudLakeException("bronze stream did not start: " + e.getMessage(), e);
    }
  }

  /**
   * The configured source ({@code source.kind}: the landing folder or a Kafka topic) as a stream of raw
   * lines ({@code value}) with where each came from ({@code source_file}), bronze's and quarantine's
   * tables created if missing. The live pipeline reads the same source.
   */
  public static Dataset<Row> sourceLines(Lakehouse lakehouse) {
    if (isKafka(lakehouse.config())) {
      lakehouse.createIfMissing(Tables.BRONZE, BronzeParser.BRONZE_SCHEMA);
      lakehouse.createIfMissing(Tables.QUARANTINE, BronzeParser.QUARANTINE_SCHEMA);
      return KafkaLines.lines(lakehouse.spark(), lakehouse.config());
    }
    return landingLines(lakehouse);
  }

  /** Whether {@code source.kind} is kafka (else landing; anything else is an error). */
  public static boolean isKafka(FraudLakeConfig config) {
    String kind = config.string("source.kind").trim().toLowerCase(Locale.ROOT);
    switch (kind) {
      case "landing":
        return false;
      case "kafka":
        return true;
      default:
        throw new FraudLakeException("fraudlake.source.kind must be landing or kafka, got \"" + config.string("source.kind") + "\"");
    }
  }

  /** Where the configured source reads from, for a command's first line. */
  public static String describeSource(FraudLakeConfig config) {
    return isKafka(config) ? KafkaLines.describe(config) : config.landingDir().toString();
  }

  /**
   * The landing folder as a stream of raw lines with their file, bronze's and quarantine's tables
   * created if missing. The live pipeline reads the same source.
   */
  public static Dataset<Row> landingLines(Lakehouse lakehouse) {
    Path landing = lakehouse.config().landingDir();
    try {
      Files.createDirectories(landing);
    } catch (IOException e) {
      throw new FraudLakeException("cannot create landing folder " + landing + ": " + e.getMessage(), e);
    }
    lakehouse.createIfMissing(Tables.BRONZE, BronzeParser.BRONZE_SCHEMA);
    lakehouse.createIfMissing(Tables.QUARANTINE, BronzeParser.QUARANTINE_SCHEMA);
    DataStreamReader reader = lakehouse.spark().readStream()
        .format("text")
        .option("maxFilesPerTrigger", lakehouse.config().integer("landing.max-files-per-trigger"));
    return withCleanSource(reader, lakehouse.config())
        .load(landing.toString())
        .select(col("value"), col("_metadata.file_path").as("source_file"));
  }

  /** Spark's cleanSource options for {@code landing.clean-source}: read files stay, are archived or are deleted. */
  static DataStreamReader withCleanSource(DataStreamReader reader, FraudLakeConfig config) {
    String mode = config.string("landing.clean-source").trim().toLowerCase(Locale.ROOT);
    switch (mode) {
      case "off":
        return reader;
      case "delete":
        return reader.option("cleanSource", "delete");
      case "archive":
        Path archive = config.landingArchiveDir().toAbsolutePath().normalize();
        Path landing = config.landingDir().toAbsolutePath().normalize();
        if (archive.startsWith(landing) || landing.startsWith(archive)) {
          throw new FraudLakeException("fraudlake.landing.archive-dir (" + archive + ") must lie outside the landing folder ("
              + landing + ") and not contain it: archived files would be read again");
        }
        return reader.option("cleanSource", "archive").option("sourceArchiveDir", archive.toString());
      default:
        throw new FraudLakeException("fraudlake.landing.clean-source must be off, archive or delete, got \""
            + config.string("landing.clean-source") + "\"");
    }
  }

  /** The writer id of this stream's appends to {@code table} (bronze or quarantine), shared with the live pipeline. */
  public static String writerId(SparkSession spark, String table) {
    return DeltaWrites.appId(spark, QUERY_NAME) + "-" + table;
  }

  public static Trigger processingTrigger(Duration interval) {
    return Trigger.ProcessingTime(interval.toMillis());
  }

  private void writeBatch(Dataset<Row> batch, Long batchId) {
    long started = System.nanoTime();
    SparkSession spark = batch.sparkSession();
    // One ingest time per batch, fixed on the driver, so both tables and the "more than a day in the
    // future" rule agree on it even though the batch is evaluated once per table.
    Timestamp ingestedAt = new Timestamp(System.currentTimeMillis());
    Dataset<Row> parsed = BronzeParser.parse(batch, ingestedAt).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // One pass counts both tables' rows (reason NULL = a good row), before anything is written, so
      // an empty quarantine costs no commit. The decision is the same when a batch is retried.
      Map<String, Long> reasons = new HashMap<>();
      long goodCount = 0;
      for (Row r : parsed.groupBy("reason").count().collectAsList()) {
        if (r.isNullAt(0)) {
          goodCount = r.getLong(1);
        } else {
          reasons.put(r.getString(0), r.getLong(1));
        }
      }
      long counted = System.nanoTime();
      DeltaWrites.appendOnce(lakehouse, BronzeParser.bronzeRows(parsed), Tables.BRONZE, writerId(spark, Tables.BRONZE), batchId);
      long bronzeDone = System.nanoTime();
      if (!reasons.isEmpty()) {
        DeltaWrites.appendOnce(lakehouse, BronzeParser.quarantineRows(parsed), Tables.QUARANTINE, writerId(spark, Tables.QUARANTINE),
            batchId);
      }
      long done = System.nanoTime();
      LOG.debug("bronze batch {}: {} rows, {} quarantined; parse+count {} ms, bronze {} ms, quarantine {} ms", batchId,
          goodCount, reasons.values().stream().mapToLong(Long::longValue).sum(), (counted - started) / 1_000_000,
          (bronzeDone - counted) / 1_000_000, (done - bronzeDone) / 1_000_000);
      stats.addBatch(goodCount, reasons, done - started);
    } finally {
      parsed.unpersist();
    }
  }
}
