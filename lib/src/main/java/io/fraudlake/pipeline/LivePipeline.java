package io.fraudlake.pipeline;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Landing → bronze → silver → gold as three running streams in one Spark application, so an event
 * dropped into the landing folder comes out scored. Each stage is the same job the separate commands
 * run, with its own checkpoint; the pipeline only starts them together and stops them together: if
 * one fails, the others are stopped and the failure is reported with the stage's name.
 */
public final class LivePipeline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LivePipeline.class);

  private final Lakehouse lakehouse;
  private final List<StreamingQuery> queries = new ArrayList<>();

  private LivePipeline(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
  }

  /**
   * Starts the three streams, upstream first (each creates the table the next one reads), each with
   * its stage's configured trigger (bronze.trigger, silver.trigger, scoring.trigger).
   */
  public static LivePipeline start(Lakehouse lakehouse, ProductionModel model, ScoringStatus status) {
    LivePipeline pipeline = new LivePipeline(lakehouse);
    try {
      pipeline.queries.add(new BronzeJob(lakehouse).start(processingTime(lakehouse, "bronze.trigger")));
      pipeline.queries.add(new SilverJob(lakehouse).start(processingTime(lakehouse, "silver.trigger")));
      pipeline.queries.add(new ScoringStream(lakehouse, model, status).start(false));
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
    LOG.info("pipeline running: {} → {} → {} → {}", lakehouse.config().landingDir(),
        lakehouse.qualifiedName("bronze_transactions"), lakehouse.qualifiedName("silver_transactions_base"),
        lakehouse.qualifiedName("fraud_predictions"));
    return pipeline;
  }

  private static Trigger processingTime(Lakehouse lakehouse, String key) {
    return Trigger.ProcessingTime(lakehouse.config().duration(key).toMillis());
  }

  private static List<StreamingQuery> reversed(List<StreamingQuery> queries) {
    List<StreamingQuery> copy = new ArrayList<>(queries);
    java.util.Collections.reverse(copy);
    return copy;
  }

  public List<StreamingQuery> queries() {
    return List.copyOf(queries);
  }

  /** Blocks until a stage stops; a failed stage stops the others and becomes a one-line error. */
  public void awaitTermination() {
    try {
      lakehouse.spark().streams().awaitAnyTermination();
    } catch (StreamingQueryException e) {
      String failed = queries.stream().filter(q -> q.exception().isDefined())
          .map(StreamingQuery::name).findFirst().orElse("?");
      close();
      throw new FraudLakeException("pipeline stopped: stream " + failed + " failed: " + Lakehouse.rootMessage(e), e);
    }
    close();
  }

  /** Stops every stage; a stage stopped mid-batch resumes from its checkpoint on the next start. */
  @Override
  public void close() {
    // Downstream first, so no stage is left waiting on one already stopped.
    for (StreamingQuery query : reversed(queries)) {
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
