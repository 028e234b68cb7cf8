package io.fraudlake.pipeline;

import io.fraudlake.FraudLakeException;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.scoring.GoldHorizon;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringCheckpoint;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.scoring.SignatureCheck;
import io.fraudlake.silver.SilverEngine;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverState;
import io.fraudlake.spark.Feeders;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.QueryStop;
import io.fraudlake.spark.Tables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Landing → bronze → silver → gold as one running stream, so an event dropped into the landing
 * folder comes out scored within seconds. The query reads landing's lines, parses them, and runs
 * them through the {@link SilverEngine} (Spark's keyed state, partitioned by card); each micro-batch
 * ({@link LiveBatch}) appends bronze, quarantine and silver and scores the new silver rows into gold.
 *
 * <p>Its checkpoint is {@code checkpoints/run}: landing's files read, the engine's state, and the
 * gold horizon. It feeds bronze and silver in place of the {@code bronze} and {@code silver}
 * streams ({@link Feeders}), and scores into gold skipping what the {@code score} stream already
 * wrote there.
 */
public final class LivePipeline implements AutoCloseable {
  public static final String QUERY_NAME = "run";

  /**
   * The checkpoints whose leases the pipeline holds while it runs: its own, and those of the
   * streams whose tables it writes ({@code bronze}, {@code silver}, {@code score}), so none of them
   * runs beside it on the same lakehouse.
   */
  public static final List<String> LEASED_CHECKPOINTS =
      List.of(QUERY_NAME, BronzeJob.QUERY_NAME, SilverJob.QUERY_NAME, ScoringStream.QUERY_NAME);
  private static final Logger LOG = LoggerFactory.getLogger(LivePipeline.class);
  private static final Duration STOP_PATIENCE = Duration.ofMinutes(1);

  private final List<StreamingQuery> queries = new ArrayList<>();

  private LivePipeline() {}

  /** Starts the stream with the {@code run.trigger} processing-time trigger. */
  public static LivePipeline start(Lakehouse lakehouse, ProductionModel model, ScoringStatus status) {
    return start(lakehouse, model, status, Trigger.ProcessingTime(lakehouse.config().duration("run.trigger").toMillis()));
  }

  /** Starts the stream with {@code trigger}; {@code Trigger.AvailableNow()} processes what landing holds now and stops. */
  public static LivePipeline start(Lakehouse lakehouse, ProductionModel model, ScoringStatus status, Trigger trigger) {
    long started = System.nanoTime();
    Feeders.claim(lakehouse, Tables.BRONZE, QUERY_NAME);
    Feeders.claim(lakehouse, Tables.SILVER, QUERY_NAME);
    lakehouse.createIfMissing(Tables.BRONZE, BronzeParser.BRONZE_SCHEMA);
    lakehouse.createIfMissing(Tables.QUARANTINE, BronzeParser.QUARANTINE_SCHEMA);
    lakehouse.createIfMissing(Tables.SILVER, SilverJob.SILVER_SCHEMA);
    SignatureCheck.require(SilverJob.SILVER_SCHEMA, Tables.SILVER, model.current());
    ScoringCheckpoint checkpoint = checkpointOf(lakehouse);
    SilverState.requireStateFor(lakehouse, checkpoint.dir(), QUERY_NAME);
    long silverChecked = System.nanoTime();
    Optional<GoldHorizon> horizon = ScoringStream.horizonAtStart(lakehouse, checkpoint, checkpoint);
    long goldChecked = System.nanoTime();
    LiveBatch batch = new LiveBatch(lakehouse, ScoringStream.batchWriter(lakehouse, model, horizon, status, Tables.SILVER, true));
    // A good line's raw text would only ride along to the state store and back: quarantine alone
    // keeps it. An event dated after the micro-batch's time (current_timestamp() in a stream) keeps it
    // too: the engine quarantines one more than a day ahead once it stamps the batch's ingest time.
    Dataset<Row> parsed = BronzeParser.parseUnstamped(BronzeJob.sourceLines(lakehouse))
        .withColumn("raw", when(col("reason").isNotNull().or(expr("event_timestamp > current_timestamp()")), col("raw")));
    long planned = System.nanoTime();
    LivePipeline pipeline = new LivePipeline();
    try {
      pipeline.queries.add(SilverEngine.start(SilverEngine.plan(parsed, lakehouse.config(), true).output().writeStream()
          .queryName(QUERY_NAME)
          .trigger(trigger)
          .option("checkpointLocation", checkpoint.dir().toString())
          .foreachBatch(batch), lakehouse.spark(), lakehouse.config()));
    } catch (TimeoutException e) {
      throw new FraudLakeException("live pipeline did not start: " + e.getMessage(), e);
    }
    LOG.info("pipeline running: {} → {} → {} → {}", BronzeJob.describeSource(lakehouse.config()),
        lakehouse.qualifiedName(Tables.BRONZE), lakehouse.qualifiedName(Tables.SILVER), lakehouse.qualifiedName(Tables.GOLD));
    LOG.debug("pipeline start: silver and its state checked in {} ms, gold's horizon in {} ms, batch writer and plan in {} ms, "
        + "query started in {} ms", millis(started, silverChecked), millis(silverChecked, goldChecked), millis(goldChecked, planned),
        millis(planned, System.nanoTime()));
    return pipeline;
  }

  private static long millis(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000;
  }

  /** The live pipeline's checkpoint: landing's files read, the silver engine's state, the gold horizon. */
  public static ScoringCheckpoint checkpointOf(Lakehouse lakehouse) {
    return new ScoringCheckpoint(lakehouse.checkpoint(QUERY_NAME));
  }

  /** Events waiting for the watermark in the live pipeline's state. */
  public static long pendingCount(Lakehouse lakehouse) {
    return SilverState.pendingCount(lakehouse.spark(), checkpointOf(lakehouse).dir());
  }

  public List<StreamingQuery> queries() {
    return List.copyOf(queries);
  }

  /** Blocks until the stream stops; a failure becomes a one-line error. */
  public void awaitTermination() {
    try {
      for (StreamingQuery query : queries) {
        query.awaitTermination();
      }
    } catch (StreamingQueryException e) {
      close();
      throw new FraudLakeException("pipeline stopped: stream " + QUERY_NAME + " failed: " + Lakehouse.failureMessage(e), e);
    }
    close();
  }

  /**
   * Stops the stream once its current batch is committed (waiting at most a minute; a batch stopped
   * midway is replayed from the checkpoint on the next start).
   */
  @Override
  public void close() {
    for (StreamingQuery query : queries) {
      QueryStop.afterCurrentBatch(query, STOP_PATIENCE);
    }
  }
}
