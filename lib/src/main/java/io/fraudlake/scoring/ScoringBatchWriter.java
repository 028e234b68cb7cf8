package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.spark.BatchRows;
import io.fraudlake.spark.BatchThreads;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ObservedRow;
import io.fraudlake.spark.Tables;
import java.sql.Timestamp;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The foreachBatch body of the scoring stream: pick the model for this batch, check the input
 * against its signature, score, and append to gold, to the feature drift and to the batch metrics.
 *
 * <p>Exactly once: every append is tagged with the query id and the batch id ({@link
 * io.fraudlake.spark.DeltaWrites}). The tag is committed atomically with the rows, and a write whose
 * tag the table already holds is skipped, so a batch Spark replays after a crash adds nothing twice. The query id
 * lives in the checkpoint: it survives restarts and changes only with a new checkpoint, whose
 * batch ids start again at 0 (and whose first start records a {@link GoldHorizon}).
 */
final class ScoringBatchWriter implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  /** Spark sets this local property on the stream's thread; it is the id kept in the checkpoint. */
  static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";
  static final String APP_ID_PREFIX = "fraudlake-score-";
  private static final Logger LOG = LogManager.getLogger(ScoringBatchWriter.class);
  private static final String SEEN_ID = "_fraudlake_seen_id";

  private final transient Lakehouse lakehouse;
  private final transient ProductionModel model;
  private final transient ScoringStatus status;
  private final transient DriftMonitor drift;
  private final GoldHorizon horizon;
  private final String inputName;
  /** Whether the batches handed in are already computed and kept (cheap to read twice). */
  private final boolean inputKept;

  ScoringBatchWriter(Lakehouse lakehouse, ProductionModel model, Optional<GoldHorizon> horizon, ScoringStatus status,
      String inputName, boolean inputKept) {
    this.lakehouse = lakehouse;
    this.inputKept = inputKept;
    this.model = model;
    this.horizon = horizon.orElse(null);
    this.status = status;
    this.inputName = inputName;
    this.drift = new DriftMonitor(lakehouse);
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) {
    long started = System.nanoTime();
    String queryId = batch.sparkSession().sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    if (queryId == null) {
      throw new IllegalStateException("scoring batches must run inside a streaming query (no " + QUERY_ID_PROPERTY + ")");
    }
    String appId = APP_ID_PREFIX + queryId;
    ScoringModel current = model.forNextBatch();
    SignatureCheck.require(batch.schema(), inputName, current);

    Dataset<Row> unseen = horizon == null ? batch : withoutTransactionsBefore(batch, horizon);
    // Gold's write and the drift measurement both read the batch: unless the caller kept it, it is
    // read from its source once.
    boolean measured = drift.measures(current);
    boolean cheapToReadTwice = inputKept && unseen == batch;
    BatchRows kept = measured && !cheapToReadTwice ? BatchRows.of(unseen) : null;
    Dataset<Row> input = kept == null ? unseen : kept.rows();
    try {
      // Drift needs nothing of gold's write, so it is measured and appended beside it.
      CompletableFuture<BatchDrift> drifting = measured
          ? BatchThreads.start("fraudlake-drift", () -> drift.record(input, current, queryId, appId, batchId))
          : CompletableFuture.completedFuture(BatchDrift.NOT_MEASURED);
      BatchMetrics metrics;
      try {
        metrics = writeScores(input, batch.sparkSession(), current, queryId, appId, batchId, started);
      } catch (RuntimeException e) {
        // No append may still be running when the batch fails; it fails with the first error.
        drifting.exceptionally(failure -> null).join();
        throw e;
      }
      BatchDrift measuredDrift = BatchThreads.join(drifting);
      LOG.debug("batch {}: scored, gold, metrics and drift in {} ms", batchId, (System.nanoTime() - started) / 1_000_000);
      status.batchDone(metrics, measuredDrift);
    } finally {
      if (kept != null) {
        kept.close();
      }
    }
  }

  /** Scores the batch into gold, then appends its metrics, which count what gold received. */
  private BatchMetrics writeScores(Dataset<Row> input, SparkSession spark, ScoringModel current, String queryId,
      String appId, long batchId, long started) {
    Timestamp scoredAt = new Timestamp(System.currentTimeMillis());
    Dataset<Row> scored = Scorer.score(input, current, scoredAt);
    // The batch's counts are observed while gold is written, so scoring runs once and no job of
    // its own counts the scores.
    Observation observed = new Observation("fraudlake-scoring-" + appId + "-" + batchId);
    Column[] counts = batchCounts();
    Dataset<Row> gold = ObservedRow.observe(Scorer.gold(scored), observed, counts);
    // Only the horizon can leave a batch Spark runs empty, and an empty batch commits nothing to gold.
    boolean wrote = (horizon == null || !input.isEmpty())
        && io.fraudlake.spark.DeltaWrites.appendOnce(lakehouse, gold, Tables.GOLD, appId, batchId);
    // After gold, and on a replay too: alerts are at least once, never ahead of gold.
    KafkaAlerts.publish(lakehouse.config(), Scorer.gold(scored));
    // A replayed batch whose gold had committed (or an empty one) wrote nothing to observe.
    Row stats = (wrote ? ObservedRow.await(observed, "gold of batch " + batchId) : Optional.<Row>empty())
        .orElseGet(() -> ObservedRow.aggregate(Scorer.gold(scored), counts));
    BatchMetrics metrics = new BatchMetrics(queryId, batchId, stats.getLong(0), stats.getLong(1),
        stats.isNullAt(2) ? null : stats.getDouble(2), current.name(), current.version(),
        (System.nanoTime() - started) / 1e9, stats.getTimestamp(3), stats.getTimestamp(4), scoredAt);
    io.fraudlake.spark.DeltaWrites.appendOnce(lakehouse, metrics.toDataFrame(spark), Tables.BATCH_METRICS, appId, batchId);
    return metrics;
  }

  /** Rows, anomalies, mean score, and the event-time range of a batch's gold rows, in that order. */
  private static Column[] batchCounts() {
    return new Column[] {count(lit(1)), coalesce(sum(when(col(GoldSchema.IS_ANOMALY), 1L).otherwise(0L)), lit(0L)),
        avg(col(GoldSchema.SCORE)), min(col(GoldSchema.EVENT_TIMESTAMP)), max(col(GoldSchema.EVENT_TIMESTAMP))};
  }

  /**
   * Drops the transactions gold already held when this checkpoint began. Only the event-time range
   * of the batch is read from that snapshot, so Delta's file statistics skip the rest of gold and
   * batches newer than the snapshot skip the join entirely.
   */
  private Dataset<Row> withoutTransactionsBefore(Dataset<Row> batch, GoldHorizon h) {
    Row range = batch.agg(min(col(GoldSchema.EVENT_TIMESTAMP)), max(col(GoldSchema.EVENT_TIMESTAMP)),
        count(lit(1)), count(col(GoldSchema.EVENT_TIMESTAMP))).first();
    boolean allTimed = range.getLong(2) == range.getLong(3);
    Timestamp batchMin = range.getTimestamp(0);
    Timestamp batchMax = range.getTimestamp(1);
    if (range.getLong(2) == 0 || (allTimed && !h.mayOverlap(batchMin, batchMax))) {
      return batch;
    }
    Dataset<Row> before = lakehouse.readVersion(Tables.GOLD, h.goldVersion());
    if (allTimed) {
      before = before.where(col(GoldSchema.EVENT_TIMESTAMP).between(lit(batchMin), lit(batchMax)));
    }
    Dataset<Row> seen = before.select(col(GoldSchema.TRANSACTION_ID).as(SEEN_ID));
    Column sameTransaction = batch.col(GoldSchema.TRANSACTION_ID).equalTo(seen.col(SEEN_ID));
    return batch.join(seen, sameTransaction, "left_anti");
  }
}
