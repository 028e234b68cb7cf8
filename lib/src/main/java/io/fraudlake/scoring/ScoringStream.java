package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;

/**
 * silver_transactions_base → foreachBatch(score) → fraud_predictions + fraud_feature_drift +
 * fraud_batch_metrics, as a long-running stream or an available-now run, with one stable checkpoint
 * under {@code <home>/checkpoints/score}.
 */
public final class ScoringStream {
  public static final String QUERY_NAME = "score";
  private static final Logger LOG = LogManager.getLogger(ScoringStream.class);

  private final Lakehouse lakehouse;
  private final ProductionModel model;
  private final ScoringStatus status;
  private final ScoringCheckpoint checkpoint;

  public ScoringStream(Lakehouse lakehouse, ProductionModel model, ScoringStatus status) {
    this.lakehouse = lakehouse;
    this.model = model;
    this.status = status;
    this.checkpoint = checkpointOf(lakehouse);
  }

  public static ScoringCheckpoint checkpointOf(Lakehouse lakehouse) {
    return new ScoringCheckpoint(lakehouse.checkpoint(QUERY_NAME));
  }

  /**
   * Forgets how far scoring got: deletes the checkpoint. Gold keeps its rows; the next start reads
   * silver from the beginning and skips the transactions gold already holds (see {@link GoldHorizon}),
   * so nothing is doubled and nothing already scored is rescored.
   */
  public static void reset(Lakehouse lakehouse) {
    ScoringCheckpoint cp = checkpointOf(lakehouse);
    cp.delete();
    LOG.info("deleted scoring checkpoint {}", cp.dir());
  }

  /** Starts the query; {@code availableNow} scores what silver holds now and stops. */
  public StreamingQuery start(boolean availableNow) {
    FraudLakeConfig config = lakehouse.config();
    Dataset<Row> silver = silverStream(config);
    SignatureCheck.require(silver.schema(), Tables.SILVER, model.current());
    Optional<GoldHorizon> horizon = horizonAtStart(lakehouse, checkpoint, checkpoint);

    DataStreamWriter<Row> writer = silver.writeStream()
        .queryName(QUERY_NAME)
        .option("checkpointLocation", checkpoint.dir().toString())
        .foreachBatch(batchWriter(lakehouse, model, horizon, status, Tables.SILVER, false))
        .trigger(availableNow ? Trigger.AvailableNow() : Trigger.ProcessingTime(config.duration("scoring.trigger").toMillis()));
    try {
      return writer.start();
    } catch (TimeoutException e) {
      throw new FraudLakeException("scoring stream did not start: " + e.getMessage(), e);
    }
  }

  private Dataset<Row> silverStream(FraudLakeConfig config) {
    DataStreamReader reader = lakehouse.readStreamOf(Tables.SILVER);
    int maxFiles = config.integer("scoring.max-files-per-trigger");
    if (maxFiles > 0) {
      reader = reader.option("maxFilesPerTrigger", maxFiles);
    }
    String maxBytes = config.string("scoring.max-bytes-per-trigger");
    if (!maxBytes.isBlank()) {
      reader = reader.option("maxBytesPerTrigger", maxBytes);
    }
    return lakehouse.catalogMode()
        ? reader.table(lakehouse.qualifiedName(Tables.SILVER))
        : reader.load(lakehouse.path(Tables.SILVER).toString());
  }

  /**
   * The gold rows a query must not score again, decided when it starts: all of gold when its Spark
   * checkpoint is new (first run, or after a reset), and all of gold again when another writer
   * added rows since this query's last batch (the live pipeline and the {@code score} stream write
   * the same gold, and either may follow the other). Otherwise the horizon it recorded before.
   * {@code sparkCheckpoint} is the query's own, {@code store} where its horizon is kept.
   */
  public static Optional<GoldHorizon> horizonAtStart(Lakehouse lakehouse, ScoringCheckpoint sparkCheckpoint, ScoringCheckpoint store) {
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    if (sparkCheckpoint.isFresh()) {
      Optional<GoldHorizon> horizon = goldNow(lakehouse);
      store.setHorizon(horizon);
      horizon.ifPresent(h -> LOG.info("new scoring checkpoint over {} existing gold rows (version {}): "
          + "their transactions are skipped", h.rows(), h.goldVersion()));
      return horizon;
    }
    Optional<String> queryId = sparkCheckpoint.queryId();
    if (queryId.isPresent()
        && DeltaWrites.othersWroteSince(lakehouse, Tables.GOLD, ScoringBatchWriter.APP_ID_PREFIX + queryId.get())) {
      Optional<GoldHorizon> horizon = goldNow(lakehouse);
      store.setHorizon(horizon);
      horizon.ifPresent(h -> LOG.info("gold has rows another writer added since this query's last batch; the {} rows of "
          + "version {} are skipped", h.rows(), h.goldVersion()));
      return horizon;
    }
    return store.horizon();
  }

  /**
   * The scoring batch, gold, metrics and drift tables created if missing: this stream's, and that of
   * a stream that makes its silver rows itself (the live pipeline), tagged with that stream's id.
   * {@code inputKept}: the batches handed in are already computed and kept, so gold and drift may
   * each read them without computing them again.
   */
  public static VoidFunction2<Dataset<Row>, Long> batchWriter(Lakehouse lakehouse, ProductionModel model,
      Optional<GoldHorizon> horizon, ScoringStatus status, String inputName, boolean inputKept) {
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    lakehouse.createIfMissing(Tables.BATCH_METRICS, GoldSchema.BATCH_METRICS);
    lakehouse.createIfMissing(Tables.FEATURE_DRIFT, GoldSchema.FEATURE_DRIFT);
    return new ScoringBatchWriter(lakehouse, model, horizon, status, inputName, inputKept);
  }

  /** What gold holds now, if anything. */
  private static Optional<GoldHorizon> goldNow(Lakehouse lakehouse) {
    long version = lakehouse.latestVersion(Tables.GOLD);
    Row r = lakehouse.readVersion(Tables.GOLD, version)
        .agg(count(lit(1)), min(col(GoldSchema.EVENT_TIMESTAMP)), max(col(GoldSchema.EVENT_TIMESTAMP)))
        .first();
    long rows = r.getLong(0);
    return rows == 0 ? Optional.empty() : Optional.of(new GoldHorizon(version, rows, r.getTimestamp(1), r.getTimestamp(2)));
  }

  /** Runs until the query ends (available-now) or fails; a failure becomes a one-line error. */
  public static void await(StreamingQuery query, ScoringStatus status) {
    try {
      Lakehouse.awaitTermination(query);
    } finally {
      status.finish();
    }
  }

  static Duration checkInterval(FraudLakeConfig config) {
    return config.duration("scoring.alias-check-interval");
  }
}
