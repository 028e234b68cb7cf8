package io.fraudlake.silver;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;

import io.fraudlake.spark.BatchRows;
import io.fraudlake.spark.BatchThreads;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ObservedRow;
import io.fraudlake.spark.Tables;
import java.sql.Timestamp;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * Writes one micro-batch of {@link SilverEngine} output to silver: the rows with their features and
 * the late events, in one append tagged with (writer id, batch id) ({@link DeltaWrites}), so a batch
 * Spark replays after a crash writes what its first attempt would have and nothing twice. Spark
 * replays the state store's version of the batch too, so the engine's output is the same.
 *
 * <p>A late event (behind the watermark when it arrived) gets its window here, from silver: the
 * rows of its card in the window before it, read with a filter on card and event time that Delta's
 * file statistics narrow to the files of that time, plus the rows of the same batch. The same read
 * catches an identical re-send (same TransactionID and event time) whose ID the engine's state has
 * forgotten. Late events are rare, so the cost stays with them; a batch without any reads nothing.
 */
public final class SilverSink {
  private static final List<String> KINDS = List.of(SilverEngine.SILVER, SilverEngine.LATE, SilverEngine.DUPLICATE,
      SilverEngine.BRONZE, SilverEngine.QUARANTINE);
  private final Lakehouse lakehouse;
  private final WindowFeatures calculator;
  private final long windowMicros;

  public SilverSink(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
    long windowSeconds = lakehouse.config().longValue("features.window-seconds");
    this.windowMicros = windowSeconds * 1_000_000L;
    this.calculator = new WindowFeatures(windowSeconds, lakehouse.config().decimal("features.high-value-threshold"));
  }

  /**
   * What a batch writes: silver's new rows (read from the batch's kept output), their append
   * (running on its own thread, so the caller can score the rows meanwhile), and the counts by kind.
   */
  public record Written(Dataset<Row> rows, CompletableFuture<Void> append, long silver, long late, long lateDuplicates,
      Map<String, Long> kinds, Optional<BatchRows> lateRows) {
    public long count(String kind) {
      return kinds.getOrDefault(kind, 0L);
    }

    public long written() {
      return silver + late - lateDuplicates;
    }

    /**
     * Waits for the append, so that the batch's kept rows can be released. Its failure is the
     * caller's to see, by joining {@link #append}; this only waits.
     */
    public void release() {
      append.exceptionally(failure -> null).join();
      lateRows.ifPresent(BatchRows::close);
    }
  }

  /** A batch's engine output, computed once and kept for the batch's jobs, and its rows of each kind. */
  public record KeptOutput(BatchRows kept, Map<String, Long> kinds) implements AutoCloseable {
    public Dataset<Row> rows() {
      return kept.rows();
    }

    @Override
    public void close() {
      kept.close();
    }
  }

  /**
   * Computes and keeps a batch's engine {@code output} in one job, which counts its rows of each kind
   * as it goes ({@link Dataset#observe}); should the counts not arrive, the kept rows are counted.
   */
  public static KeptOutput keep(Dataset<Row> output, long batchId) {
    Observation observed = new Observation("fraudlake-silver-kinds-" + batchId);
    Column[] counts = kindCounts();
    BatchRows kept = BatchRows.of(ObservedRow.observe(output, observed, counts));
    Map<String, Long> kinds = kinds(ObservedRow.await(observed, "engine output of batch " + batchId)
        .orElseGet(() -> ObservedRow.aggregate(kept.rows(), counts)));
    return new KeptOutput(kept, kinds);
  }

  private static Column[] kindCounts() {
    return KINDS.stream().map(k -> count(when(col(SilverEngine.KIND).equalTo(k), 1)).as(k)).toArray(Column[]::new);
  }

  private static Map<String, Long> kinds(Row counted) {
    Map<String, Long> kinds = new HashMap<>();
    for (int i = 0; i < KINDS.size(); i++) {
      kinds.put(KINDS.get(i), counted.getLong(i));
    }
    return kinds;
  }

  /**
   * Starts appending the silver rows of {@code output} ({@link #keep kept}, with its counts). The
   * caller must {@link Written#release} the result before it releases {@code output}.
   */
  public Written write(Dataset<Row> output, Map<String, Long> kinds, String writerId, long batchId) {
    long silver = kinds.getOrDefault(SilverEngine.SILVER, 0L);
    long late = kinds.getOrDefault(SilverEngine.LATE, 0L);
    Dataset<Row> rows = SilverEngine.silverRows(output);
    long lateDuplicates = 0;
    Optional<BatchRows> lateRows = Optional.empty();
    if (late > 0) {
      Dataset<Row> lateEvents = SilverEngine.ofKind(output, SilverEngine.LATE).select(SilverJob.cols(SilverJob.EVENT_COLUMNS));
      LateRows resolved = resolveLate(lateEvents, rows, writerId, batchId);
      rows = rows.unionByName(resolved.rows().rows());
      lateDuplicates = resolved.duplicates();
      lateRows = Optional.of(resolved.rows());
    }
    Dataset<Row> written = rows;
    CompletableFuture<Void> append = silver + late - lateDuplicates > 0
        ? BatchThreads.run("fraudlake-silver-append", () -> DeltaWrites.appendOnce(lakehouse, written.coalesce(1), Tables.SILVER, writerId, batchId))
        : CompletableFuture.completedFuture(null);
    return new Written(written, append, silver, late, lateDuplicates, kinds, lateRows);
  }

  private record LateRows(BatchRows rows, long duplicates) {}

  private LateRows resolveLate(Dataset<Row> late, Dataset<Row> batchRows, String writerId, long batchId) {
    // Silver as it was before this batch: a replay whose append had committed must not find its own rows.
    OptionalLong own = DeltaWrites.versionTagged(lakehouse, Tables.SILVER, writerId, batchId);
    Dataset<Row> silver = own.isPresent() ? lakehouse.readVersion(Tables.SILVER, own.getAsLong() - 1) : lakehouse.read(Tables.SILVER);
    Row range = late.agg(min("event_timestamp"), max("event_timestamp")).first();
    Timestamp from = WindowFeatures.timestamp(WindowFeatures.micros(range.get(0)) - windowMicros);
    Dataset<Row> cards = late.select("card_id").distinct();
    // The literal time range lets Delta skip every file outside it before the join narrows it to the cards.
    Dataset<Row> history = silver.where(col("event_timestamp").between(lit(from), lit(range.getTimestamp(1))))
        .join(cards, "card_id")
        .select(SilverJob.cols(SilverJob.EVENT_COLUMNS));
    Dataset<Row> fresh = late.join(history.select("TransactionID", "event_timestamp"),
        new String[] {"TransactionID", "event_timestamp"}, "left_anti");
    long duplicates = late.count() - fresh.count();
    Dataset<Row> context = history
        .unionByName(batchRows.select(SilverJob.cols(SilverJob.EVENT_COLUMNS)).join(cards, "card_id"))
        .withColumn("_emit", lit(false))
        .withColumn("arrived_late", lit(false));
    // Computed now and cut from its lineage: the silver append below makes Spark re-cache every plan
    // that reads silver, and these rows, computed again after it, would find themselves there.
    BatchRows computed = BatchRows.of(SilverJob.features(calculator,
        fresh.withColumn("_emit", lit(true)).withColumn("arrived_late", lit(true)).unionByName(context)));
    return new LateRows(computed, duplicates);
  }
}
