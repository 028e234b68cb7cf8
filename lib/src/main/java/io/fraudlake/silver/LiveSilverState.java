package io.fraudlake.silver;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.sketch.BloomFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Silver's stream state for the live pipeline, held in driver memory so that a micro-batch reads
 * nothing from silver: the pending events (waiting for the watermark), silver's rows of the last
 * window (the context of the next windows), and every TransactionID silver holds ({@link SeenIds}).
 * A micro-batch of a few thousand events is then planned in milliseconds instead of the seconds the
 * {@link SilverJob} stream spends reading silver twice per batch.
 *
 * <p>The rules are {@link SilverJob}'s, event for event: the copy kept of a TransactionID is the
 * first ingested; the watermark is the newest event time seen minus the lateness; an event is
 * emitted once it is older than the watermark, with its features computed by the same {@link
 * WindowFeatures} over the same rows; an event already behind the watermark when it arrives is
 * written at once with {@code arrived_late = true}. So the live pipeline's silver equals {@code silver
 * --batch} over its bronze, and the stream's.
 *
 * <p>Everything here is rebuilt from Delta when the stream starts ({@link #open}): the pending events
 * from the newest snapshot before the first batch (this stream's, plus those the {@link SilverJob}
 * stream left waiting, which the live pipeline takes over), and silver as it was before the first
 * batch's append if that batch is a replay whose append had committed. The replay then plans exactly
 * what its first attempt did. The rows of the window are read lazily, from the first batch that
 * emits: memory holds every silver row with event time at or after {@link #completeFrom}, which
 * follows the watermark; an event that arrives so late that its window reaches further back reads
 * those rows from silver, for its card only.
 *
 * <p>Driver memory: the rows of one window and lateness (rate × 302 s; about 200 bytes each, Java objects and the ID set) plus
 * about 4 bytes per silver row for the IDs. One writer at a time: the live pipeline must not run
 * beside a {@code silver} stream on the same lakehouse.
 */
public final class LiveSilverState {
  private static final Logger LOG = LoggerFactory.getLogger(LiveSilverState.class);
  /** Where the live pipeline keeps its snapshots of pending events, beside its other state. */
  private static final String SNAPSHOTS = "pending-events";

  /** What the window arithmetic reads of a context row (a silver row of an earlier batch). */
  private static final StructType CONTEXT_SCHEMA = new StructType(new StructField[] {
      BronzeParser.BRONZE_SCHEMA.apply("TransactionID"), BronzeParser.BRONZE_SCHEMA.apply("event_timestamp"),
      BronzeParser.BRONZE_SCHEMA.apply("TransactionAmt"), BronzeParser.BRONZE_SCHEMA.apply("ProductCD")})
      .add("_emit", DataTypes.BooleanType)
      .add("arrived_late", DataTypes.BooleanType);
  /** An event to emit: the bronze columns, then the two flags the window arithmetic reads. */
  private static final StructType EMIT_SCHEMA = BronzeParser.BRONZE_SCHEMA
      .add("_emit", DataTypes.BooleanType)
      .add("arrived_late", DataTypes.BooleanType);
  private static final int ID = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionID");
  private static final int TIME = BronzeParser.BRONZE_SCHEMA.fieldIndex("event_timestamp");
  private static final int CARD = BronzeParser.BRONZE_SCHEMA.fieldIndex("card_id");
  private static final int AMOUNT = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionAmt");
  private static final int PRODUCT = BronzeParser.BRONZE_SCHEMA.fieldIndex("ProductCD");
  private static final String[] CONTEXT_COLUMNS = {"TransactionID", "event_timestamp", "TransactionAmt", "ProductCD", "card_id"};

  /** One silver row as the next windows need it. */
  private record Context(long micros, String id, Row row) {}

  /** An event with its flags, on its way out of pending. */
  private record Candidate(Row event, long micros, boolean late) {}

  /**
   * What one micro-batch does to silver: the rows to append, the pending events after it, and the
   * watermark it reached. {@code changed} is false when the batch brought no new event and emitted
   * none (no snapshot is written then, as in {@link SilverJob}).
   */
  public record Step(long batchId, List<Row> emitted, List<Row> pending, Long watermarkMicros, long input, long duplicates,
      long late, boolean changed) {}

  private final Lakehouse lakehouse;
  private final WindowFeatures calculator;
  private final long windowMicros;
  private final long latenessMicros;
  private final PendingSnapshots snapshots;

  private Map<String, Row> pending;
  private final Map<String, List<Context>> recentByCard = new HashMap<>();
  private final Set<String> recentIds = new HashSet<>();
  /** Memory holds every silver row with event time at or after this; MAX_VALUE until first loaded. */
  private long completeFrom = Long.MAX_VALUE;
  private final SeenIds seen;
  /** The silver version lookups read during the first batch (a replay must not see its own append); then the newest. */
  private Long firstBatchVersion;

  private LiveSilverState(Lakehouse lakehouse, PendingSnapshots snapshots, Map<String, Row> pending, SeenIds seen,
      Long firstBatchVersion) {
    this.lakehouse = lakehouse;
    long windowSeconds = lakehouse.config().longValue("features.window-seconds");
    this.windowMicros = windowSeconds * 1_000_000L;
    this.calculator = new WindowFeatures(windowSeconds, lakehouse.config().decimal("features.high-value-threshold"));
    Duration lateness = lakehouse.config().duration("features.lateness");
    if (lateness.isNegative()) {
      throw new FraudLakeException("fraudlake.features.lateness must not be negative, got " + lateness);
    }
    this.latenessMicros = lateness.toNanos() / 1000;
    this.snapshots = snapshots;
    this.pending = pending;
    this.seen = seen;
    this.firstBatchVersion = firstBatchVersion;
  }

  /**
   * Rebuilds the state a stream starting at {@code firstBatchId} needs, its pending snapshots kept in
   * {@code stateDir}. {@code silverWriter} is the writer id the stream tags its silver appends with.
   */
  public static LiveSilverState open(Lakehouse lakehouse, java.nio.file.Path stateDir, String silverWriter, long firstBatchId) {
    long started = System.nanoTime();
    SparkSession spark = lakehouse.spark();
    lakehouse.createIfMissing(Tables.SILVER, SilverJob.SILVER_SCHEMA);
    OptionalLong replayed = DeltaWrites.versionTagged(lakehouse, Tables.SILVER, silverWriter, firstBatchId);
    long version = replayed.isPresent() ? replayed.getAsLong() - 1 : lakehouse.latestVersion(Tables.SILVER);
    Dataset<Row> silver = lakehouse.readVersion(Tables.SILVER, version);

    PendingSnapshots snapshots = new PendingSnapshots(stateDir.resolve(SNAPSHOTS));
    Map<String, Row> pending = new LinkedHashMap<>();
    for (Row r : snapshots.before(firstBatchId)) {
      pending.putIfAbsent(r.getString(ID), r);
    }
    // Events the silver stream read from bronze and left waiting: the live pipeline reads landing,
    // not bronze, so it would never see them again.
    int own = pending.size();
    for (Row r : SilverJob.streamPendingEvents(lakehouse).before(spark, Long.MAX_VALUE)
        .select(SilverJob.cols(BronzeParser.BRONZE_SCHEMA.fieldNames())).collectAsList()) {
      pending.putIfAbsent(r.getString(ID), r);
    }
    // Either stream may have emitted what the other still holds as pending.
    Set<String> inSilver = idsIn(silver, pending.keySet());
    pending.keySet().removeAll(inSilver);

    long rows = silver.count();
    long capacity = SeenIds.capacityFor(rows);
    // Spark 4.1's stat().bloomFilter fails on an empty input (it reads the empty aggregate as a filter).
    BloomFilter ids = rows == 0 ? BloomFilter.create(capacity, SeenIds.FALSE_POSITIVE_RATE)
        : silver.stat().bloomFilter("TransactionID", capacity, SeenIds.FALSE_POSITIVE_RATE);
    SeenIds seen = new SeenIds(ids, capacity, rows);
    LOG.info("live silver state for batch {}: silver version {} ({} rows{}), {} pending ({} taken over from the silver stream, "
        + "{} already in silver), {} MB of ID filters, in {} ms", firstBatchId, version, rows,
        replayed.isPresent() ? ", before this batch's own append" : "", pending.size(), pending.size() + inSilver.size() - own,
        inSilver.size(), seen.bits() / 8 / 1_000_000, (System.nanoTime() - started) / 1_000_000);
    return new LiveSilverState(lakehouse, snapshots, pending, seen, version);
  }

  /**
   * Plans one micro-batch of bronze rows (in {@link BronzeParser#BRONZE_SCHEMA}'s column order): what
   * silver gets and what stays pending. The state changes only in {@link #advance}, once the batch's
   * writes have committed; a failed batch fails the stream, and the next start rebuilds from Delta.
   */
  public Step plan(List<Row> events, long batchId) {
    List<String> maybeSeen = new ArrayList<>();
    Map<String, Row> candidates = new LinkedHashMap<>();
    for (Row r : firstCopies(events)) {
      String id = r.getString(ID);
      if (pending.containsKey(id) || recentIds.contains(id)) {
        continue;
      }
      if (seen.mightContain(id)) {
        maybeSeen.add(id);
      }
      candidates.put(id, r);
    }
    if (!maybeSeen.isEmpty()) {
      candidates.keySet().removeAll(idsIn(silverForLookups(), maybeSeen));
    }
    List<Row> fresh = new ArrayList<>(candidates.values());
    long duplicates = events.size() - fresh.size();

    Long pendingMax = maxMicros(pending.values());
    Long freshMax = maxMicros(fresh);
    Long newest = pendingMax == null ? freshMax : freshMax == null ? pendingMax : Math.max(pendingMax, freshMax);
    if (newest == null) {
      return new Step(batchId, List.of(), List.copyOf(pending.values()), null, events.size(), duplicates, 0, false);
    }
    long watermark = newest - latenessMicros;
    List<Candidate> emitting = new ArrayList<>();
    List<Row> stillPending = new ArrayList<>();
    for (Row r : pending.values()) {
      route(r, false, watermark, emitting, stillPending);
    }
    for (Row r : fresh) {
      // Late = already behind the watermark as it stood before this batch arrived.
      boolean late = pendingMax != null && WindowFeatures.micros(r.get(TIME)) < pendingMax - latenessMicros;
      route(r, late, watermark, emitting, stillPending);
    }
    List<Row> emitted = features(emitting);
    long late = emitting.stream().filter(Candidate::late).count();
    return new Step(batchId, emitted, stillPending, watermark, events.size(), duplicates, late,
        !fresh.isEmpty() || !emitted.isEmpty());
  }

  /** Applies a planned batch whose appends have committed. */
  public void advance(Step step) {
    firstBatchVersion = null;
    Map<String, Row> next = new LinkedHashMap<>();
    for (Row r : step.pending()) {
      next.put(r.getString(ID), r);
    }
    pending = next;
    for (Row r : step.emitted()) {
      String id = r.getString(ID);
      seen.add(id);
      // Until the first window is read from silver, memory holds nothing to keep complete.
      if (completeFrom != Long.MAX_VALUE) {
        remember(r.getString(CARD), new Context(WindowFeatures.micros(r.get(TIME)), id,
            contextRow(id, r.get(TIME), r.getDouble(AMOUNT), r.getString(PRODUCT))));
      }
    }
    if (step.watermarkMicros() != null && completeFrom != Long.MAX_VALUE) {
      // Every event not late in a later batch is at or after this watermark, so its window starts
      // at or after watermark − window: older rows are needed only by late events, which read silver.
      long keepFrom = step.watermarkMicros() - windowMicros;
      if (keepFrom > completeFrom) {
        completeFrom = keepFrom;
        forgetBefore(keepFrom);
      }
    }
  }

  /** Writes the batch's pending snapshot (the replay of a later batch starts from it). */
  public void writeSnapshot(Step step) {
    if (step.changed()) {
      snapshots.write(step.pending(), step.batchId());
    }
  }

  /** The rows to append to silver, as a DataFrame of silver's schema. */
  public Dataset<Row> silverRows(Step step) {
    return lakehouse.spark().createDataFrame(step.emitted(), SilverJob.SILVER_SCHEMA);
  }

  private static void route(Row event, boolean late, long watermark, List<Candidate> emitting, List<Row> stillPending) {
    long micros = WindowFeatures.micros(event.get(TIME));
    if (micros < watermark) {
      emitting.add(new Candidate(event, micros, late));
    } else {
      stillPending.add(event);
    }
  }

  /**
   * One row per TransactionID. A batch rarely holds two copies of one; when it does, they go through
   * {@link SilverJob#firstCopies}, the very expression batch silver uses, so both keep the same copy.
   */
  private List<Row> firstCopies(List<Row> events) {
    Map<String, Integer> copies = new HashMap<>();
    for (Row r : events) {
      copies.merge(r.getString(ID), 1, Integer::sum);
    }
    List<Row> unique = new ArrayList<>(events.size());
    List<Row> contested = new ArrayList<>();
    for (Row r : events) {
      (copies.get(r.getString(ID)) == 1 ? unique : contested).add(r);
    }
    if (!contested.isEmpty()) {
      unique.addAll(SilverJob.firstCopies(lakehouse.spark().createDataFrame(contested, BronzeParser.BRONZE_SCHEMA)).collectAsList());
    }
    return unique;
  }

  /** The features of the events to emit, each over its card's rows in the window before it. */
  private List<Row> features(List<Candidate> emitting) {
    if (emitting.isEmpty()) {
      return List.of();
    }
    Map<String, List<Candidate>> byCard = new HashMap<>();
    long needFrom = Long.MAX_VALUE;
    for (Candidate c : emitting) {
      byCard.computeIfAbsent(c.event().getString(CARD), k -> new ArrayList<>()).add(c);
      needFrom = Math.min(needFrom, c.micros() - windowMicros);
    }
    if (completeFrom == Long.MAX_VALUE) {
      loadWindow(needFrom);
    }
    Map<String, List<Row>> older = needFrom < completeFrom ? olderContext(byCard) : Map.of();

    List<Row> out = new ArrayList<>(emitting.size());
    for (Map.Entry<String, List<Candidate>> card : byCard.entrySet()) {
      long from = Long.MAX_VALUE;
      List<Row> rows = new ArrayList<>();
      for (Candidate c : card.getValue()) {
        from = Math.min(from, c.micros() - windowMicros);
        Object[] values = new Object[EMIT_SCHEMA.size()];
        for (int i = 0; i < BronzeParser.BRONZE_SCHEMA.size(); i++) {
          values[i] = c.event().get(i);
        }
        values[values.length - 2] = true;
        values[values.length - 1] = c.late();
        rows.add(new GenericRowWithSchema(values, EMIT_SCHEMA));
      }
      for (Context ctx : recentByCard.getOrDefault(card.getKey(), List.of())) {
        if (ctx.micros() >= from) {
          rows.add(ctx.row());
        }
      }
      rows.addAll(older.getOrDefault(card.getKey(), List.of()));
      calculator.compute(rows.iterator()).forEachRemaining(out::add);
    }
    return out;
  }

  /** Reads silver's rows from {@code from} on into memory: the first window the stream needs. */
  private void loadWindow(long from) {
    long started = System.nanoTime();
    Dataset<Row> rows = silverForLookups().select(SilverJob.cols(CONTEXT_COLUMNS))
        .where(col("event_timestamp").geq(lit(WindowFeatures.timestamp(from))));
    recentByCard.clear();
    recentIds.clear();
    long count = 0;
    for (Row r : rows.collectAsList()) {
      remember(r.getString(4), new Context(WindowFeatures.micros(r.get(1)), r.getString(0),
          contextRow(r.getString(0), r.get(1), r.getDouble(2), r.getString(3))));
      count++;
    }
    completeFrom = from;
    LOG.info("live silver state: read {} silver rows of the current window in {} ms", count, (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Silver's rows, before {@link #completeFrom}, of the cards whose late events have windows
   * reaching back that far. Only those events need them, so they are not kept.
   */
  private Map<String, List<Row>> olderContext(Map<String, List<Candidate>> byCard) {
    List<String> cards = new ArrayList<>();
    long from = Long.MAX_VALUE;
    for (Map.Entry<String, List<Candidate>> card : byCard.entrySet()) {
      long cardFrom = card.getValue().stream().mapToLong(c -> c.micros() - windowMicros).min().orElseThrow();
      if (cardFrom < completeFrom) {
        cards.add(card.getKey());
        from = Math.min(from, cardFrom);
      }
    }
    Dataset<Row> rows = silverForLookups().select(SilverJob.cols(CONTEXT_COLUMNS))
        .where(col("event_timestamp").geq(lit(WindowFeatures.timestamp(from)))
            .and(col("event_timestamp").lt(lit(WindowFeatures.timestamp(completeFrom))))
            .and(col("card_id").isin(cards.toArray())));
    Map<String, List<Row>> byCardRows = new HashMap<>();
    for (Row r : rows.collectAsList()) {
      byCardRows.computeIfAbsent(r.getString(4), k -> new ArrayList<>()).add(contextRow(r.getString(0), r.get(1), r.getDouble(2), r.getString(3)));
    }
    return byCardRows;
  }

  private Dataset<Row> silverForLookups() {
    return firstBatchVersion == null ? lakehouse.read(Tables.SILVER) : lakehouse.readVersion(Tables.SILVER, firstBatchVersion);
  }

  private void remember(String card, Context ctx) {
    recentByCard.computeIfAbsent(card, k -> new ArrayList<>()).add(ctx);
    recentIds.add(ctx.id());
  }

  private void forgetBefore(long micros) {
    recentByCard.values().removeIf(rows -> {
      rows.removeIf(ctx -> {
        if (ctx.micros() < micros) {
          recentIds.remove(ctx.id());
          return true;
        }
        return false;
      });
      return rows.isEmpty();
    });
  }

  private static Row contextRow(String id, Object eventTime, double amount, String product) {
    return new GenericRowWithSchema(new Object[] {id, eventTime, amount, product, false, false}, CONTEXT_SCHEMA);
  }

  /** The IDs among {@code ids} that {@code silver} holds. */
  private static Set<String> idsIn(Dataset<Row> silver, java.util.Collection<String> ids) {
    if (ids.isEmpty()) {
      return Set.of();
    }
    SparkSession spark = silver.sparkSession();
    Dataset<Row> wanted = spark.createDataset(new ArrayList<>(ids), org.apache.spark.sql.Encoders.STRING()).toDF("TransactionID");
    Set<String> found = new HashSet<>();
    for (Row r : silver.select("TransactionID").join(broadcast(wanted), "TransactionID").collectAsList()) {
      found.add(r.getString(0));
    }
    return found;
  }

  private static Long maxMicros(Iterable<Row> rows) {
    Long max = null;
    for (Row r : rows) {
      long m = WindowFeatures.micros(r.get(TIME));
      if (max == null || m > max) {
        max = m;
      }
    }
    return max;
  }
}
