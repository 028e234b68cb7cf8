package io.fraudlake.pipeline;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.scoring.GoldHorizon;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringCheckpoint;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.scoring.SignatureCheck;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Landing → bronze → silver → gold as one running stream ({@link LiveBatch}), so an event dropped
 * into the landing folder comes out scored within seconds: each micro-batch ingests, computes the
 * features of the events the watermark lets out, and scores them.
 *
 * <p>The tables and the rules are those of the separate commands, which it can follow or precede:
 * it reads landing with the {@code bronze} stream's source and checkpoint (so the two take turns
 * without reading a file twice), takes over the events the {@code silver} stream left waiting, and
 * scores into gold skipping what the {@code score} stream already wrote there. Its own state is under
 * {@code checkpoints/run}. It must not run beside those streams on the same lakehouse.
 */
public final class LivePipeline implements AutoCloseable {
  public static final String QUERY_NAME = "run";
  private static final Logger LOG = LoggerFactory.getLogger(LivePipeline.class);

  private final Lakehouse lakehouse;
  private final List<StreamingQuery> queries = new ArrayList<>();

  private LivePipeline(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
  }

  /** Starts the stream with the {@code run.trigger} processing-time trigger. */
  public static LivePipeline start(Lakehouse lakehouse, ProductionModel model, ScoringStatus status) {
    LivePipeline pipeline = new LivePipeline(lakehouse);
    Path stateDir = lakehouse.checkpoint(QUERY_NAME);
    ScoringCheckpoint landingCheckpoint = new ScoringCheckpoint(lakehouse.checkpoint(BronzeJob.QUERY_NAME));
    SignatureCheck.require(SilverJob.SILVER_SCHEMA, Tables.SILVER, model.current());
    Optional<GoldHorizon> horizon = ScoringStream.horizonAtStart(lakehouse, landingCheckpoint, new ScoringCheckpoint(stateDir));
    LiveBatch batch = new LiveBatch(lakehouse, stateDir, ScoringStream.batchWriter(lakehouse, model, horizon, status, Tables.SILVER));
    try {
      pipeline.queries.add(BronzeJob.landingLines(lakehouse).writeStream()
          .queryName(QUERY_NAME)
          .trigger(Trigger.ProcessingTime(lakehouse.config().duration("run.trigger").toMillis()))
          .option("checkpointLocation", landingCheckpoint.dir().toString())
          .foreachBatch(batch)
          .start());
    } catch (TimeoutException e) {
      throw new FraudLakeException("live pipeline did not start: " + e.getMessage(), e);
    }
    LOG.info("pipeline running: {} → {} → {} → {}", lakehouse.config().landingDir(),
        lakehouse.qualifiedName(Tables.BRONZE), lakehouse.qualifiedName(Tables.SILVER), lakehouse.qualifiedName(Tables.GOLD));
    return pipeline;
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
      throw new FraudLakeException("pipeline stopped: stream " + QUERY_NAME + " failed: " + Lakehouse.rootMessage(e), e);
    }
    close();
  }

  /** Stops the stream; a batch stopped midway is replayed from the checkpoint on the next start. */
  @Override
  public void close() {
    for (StreamingQuery query : queries) {
      if (query.isActive()) {
        try {
          query.stop();
        } catch (TimeoutException e) {
          LOG.warn("stream {} did not stop in time: {}", query.name(), e.getMessage());
        }
      }
    }
  }
}
