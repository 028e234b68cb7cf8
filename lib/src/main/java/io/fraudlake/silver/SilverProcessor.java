package io.fraudlake.silver;

import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.silver.WindowContext.Entry;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.streaming.ExpiredTimerInfo;
import org.apache.spark.sql.streaming.ListState;
import org.apache.spark.sql.streaming.MapState;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StatefulProcessor;
import org.apache.spark.sql.streaming.TTLConfig;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.streaming.TimerValues;
import org.apache.spark.sql.streaming.ValueState;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Silver's event-time rules for one card, on Spark's keyed state ({@code transformWithState}, the
 * state store partitioned by card across executors and checkpointed with the query). Per card it keeps:
 * <ul>
 *   <li>{@code pending}: events waiting for the watermark;
 *   <li>{@code context}: what the windows of those events still need of the events already emitted
 *       (id, time, amount, product, for event times at or after watermark − window), as one binary
 *       {@link WindowContext} value;
 *   <li>{@code ids}: the TransactionIDs seen (pending ones included), each until the watermark is
 *       {@code features.dedupe-horizon} past its event time (an event-time horizon: Spark's time to
 *       live counts processing time, which a replay of history or a stopped stream would distort,
 *       and is not offered with event-time timers);
 *   <li>{@code card}: the card's one timer and the time ranges above, so that a micro-batch that
 *       only adds events to a card reads and writes nothing else of it.
 * </ul>
 *
 * <p>The watermark W is Spark's: the newest event time of the earlier micro-batches minus the
 * lateness. An incoming copy of an ID already pending, seen, or earlier in the same batch (the first
 * copy by {@link FirstCopyOrder} wins, as in batch silver) is a {@link SilverEngine#DUPLICATE}. A new
 * event at or after W waits; one before W is late: it goes out at once as {@link SilverEngine#LATE},
 * and the sink gives it its window from silver. A pending event goes out as {@link SilverEngine#SILVER},
 * with its features computed by {@link WindowFeatures} over the card's events in the window exactly as
 * {@code silver --batch} computes them, once no event of its window can still come on time: in the
 * micro-batch whose events move the watermark past it (see {@link #dueBefore}), or failing that in the
 * next, when W itself has passed it.
 *
 * <p>With {@code echo} (the live pipeline, whose input is landing's parsed lines), every input row
 * also comes out as {@link SilverEngine#BRONZE} or {@link SilverEngine#QUARANTINE}, stamped with the
 * micro-batch's time, which Spark records in its offset log so a replay stamps the same.
 */
final class SilverProcessor extends StatefulProcessor<String, Row, Row> {
  private static final long serialVersionUID = 1L;

  /** The card's timers and time ranges; each MIN_VALUE or MAX_VALUE when there is nothing of that kind. */
  private static final StructType CARD_STATE = new StructType()
      .add("due_timer", DataTypes.LongType)
      .add("cleanup_timer", DataTypes.LongType)
      .add("oldest_pending", DataTypes.LongType)
      .add("newest_context", DataTypes.LongType)
      .add("oldest_id", DataTypes.LongType)
      .add("newest_id", DataTypes.LongType);
  /** The context as checkpoints written before {@link WindowContext} hold it: a list state named "recent". */
  private static final StructType OLDER_CONTEXT_STATE = new StructType()
      .add("TransactionID", DataTypes.StringType)
      .add("micros", DataTypes.LongType)
      .add("TransactionAmt", DataTypes.DoubleType)
      .add("ProductCD", DataTypes.StringType);

  private static final long NONE = Long.MIN_VALUE;
  private static final int BRONZE_WIDTH = BronzeParser.BRONZE_SCHEMA.size();
  private static final int ID = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionID");
  private static final int TIME = BronzeParser.BRONZE_SCHEMA.fieldIndex("event_timestamp");
  private static final int AMOUNT = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionAmt");
  private static final int PRODUCT = BronzeParser.BRONZE_SCHEMA.fieldIndex("ProductCD");
  private static final int CARD_COUNTRY = BronzeParser.BRONZE_SCHEMA.fieldIndex("card_country");
  private static final int MERCHANT_COUNTRY = BronzeParser.BRONZE_SCHEMA.fieldIndex("merchant_country");
  private static final int INGESTED = BronzeParser.BRONZE_SCHEMA.fieldIndex("ingested_at");
  private static final int SOURCE = BronzeParser.BRONZE_SCHEMA.fieldIndex("source_file");
  private static final int RAW = SilverEngine.INPUT_SCHEMA.fieldIndex("raw");
  private static final int REASON = SilverEngine.INPUT_SCHEMA.fieldIndex("reason");

  private final WindowFeatures calculator;
  private final long latenessMillis;
  private final long windowMicros;
  private final long horizonMicros;
  private final boolean echo;
  private final LongAccumulator input;

  private transient ListState<Row> pending;
  private transient ValueState<byte[]> context;
  private transient ListState<Row> olderContext;
  private transient MapState<String, Long> ids;
  private transient ValueState<Row> card;
  /** The newest event time (ms) of the events this task has read in this micro-batch; NONE before the first. */
  private transient long batchNewestMillis;

  SilverProcessor(WindowFeatures calculator, Duration lateness, long windowSeconds, Duration dedupeHorizon, boolean echo,
      LongAccumulator input) {
    this.calculator = calculator;
    this.latenessMillis = lateness.toMillis();
    this.windowMicros = windowSeconds * 1_000_000L;
    this.horizonMicros = dedupeHorizon.toNanos() / 1000;
    this.echo = echo;
    this.input = input;
  }

  @Override
  public void init(OutputMode outputMode, TimeMode timeMode) {
    pending = getHandle().getListState("pending", Encoders.row(BronzeParser.BRONZE_SCHEMA), TTLConfig.NONE());
    context = getHandle().getValueState("context", Encoders.BINARY(), TTLConfig.NONE());
    olderContext = getHandle().getListState("recent", Encoders.row(OLDER_CONTEXT_STATE), TTLConfig.NONE());
    ids = getHandle().getMapState("ids", Encoders.STRING(), Encoders.LONG(), TTLConfig.NONE());
    card = getHandle().getValueState("card", Encoders.row(CARD_STATE), TTLConfig.NONE());
    batchNewestMillis = NONE;
  }

  /** The card's small state, as mutable fields for the length of one call. */
  private static final class Card {
    long dueTimer = NONE;
    long cleanupTimer = NONE;
    long oldestPending = Long.MAX_VALUE;
    long newestContext = NONE;
    long oldestId = Long.MAX_VALUE;
    long newestId = NONE;

    Row toRow() {
      return new GenericRowWithSchema(new Object[] {dueTimer, cleanupTimer, oldestPending, newestContext, oldestId, newestId},
          CARD_STATE);
    }
  }

  @Override
  public scala.collection.Iterator<Row> handleInputRows(String key, scala.collection.Iterator<Row> rows, TimerValues timers) {
    List<Row> out = new ArrayList<>();
    List<Row> candidates = new ArrayList<>();
    long batchMillis = timers.getCurrentProcessingTimeInMs();
    for (Row r : iterable(rows)) {
      input.add(1);
      if (!echo) {
        candidates.add(bronzeOf(r, null));
        continue;
      }
      Timestamp ingestedAt = new Timestamp(batchMillis);
      String reason = r.isNullAt(REASON) ? BronzeParser.futureReason(r.getTimestamp(TIME), ingestedAt) : r.getString(REASON);
      if (reason != null) {
        out.add(SilverEngine.quarantine(r.getString(RAW), reason, r.getString(SOURCE), ingestedAt));
      } else {
        Row event = bronzeOf(r, ingestedAt);
        out.add(SilverEngine.output(event, SilverEngine.BRONZE));
        candidates.add(event);
      }
    }
    if (candidates.isEmpty()) {
      return CollectionConverters.asScala(out.iterator());
    }
    candidates.sort(FirstCopyOrder.INSTANCE);

    long watermarkMillis = timers.getCurrentWatermarkInMs();
    long watermark = watermarkMillis * 1000L;
    Card state = readCard();
    long oldestBefore = state.oldestPending;
    Set<String> inBatch = new HashSet<>();
    List<Row> waiting = new ArrayList<>();
    List<Row> late = new ArrayList<>();
    for (Row event : candidates) {
      String id = event.getString(ID);
      long micros = WindowFeatures.micros(event.get(TIME));
      batchNewestMillis = Math.max(batchNewestMillis, Math.floorDiv(micros, 1000L));
      // Every pending event's ID is among the IDs held, so this one look-up covers both.
      if (!inBatch.add(id) || ids.containsKey(id)) {
        out.add(SilverEngine.output(event, SilverEngine.DUPLICATE));
        continue;
      }
      ids.updateValue(id, micros);
      state.oldestId = Math.min(state.oldestId, micros);
      state.newestId = Math.max(state.newestId, micros);
      if (micros < watermark) {
        late.add(event);
        out.add(SilverEngine.output(event, SilverEngine.LATE));
      } else {
        waiting.add(event);
        state.oldestPending = Math.min(state.oldestPending, micros);
      }
    }
    if (state.oldestPending < watermark || !late.isEmpty()) {
      List<Row> all = list(pending);
      all.addAll(waiting);
      emitDue(state, all, late, watermark, watermark, NONE, out);
    } else {
      // Nothing to emit: the new events join the pending ones without reading them.
      if (!waiting.isEmpty()) {
        pending.appendList(waiting.toArray(new Row[0]));
      }
      // The due timer stays as it is unless an event older than the oldest one waiting came.
      resetTimers(state, NONE, watermarkMillis, Long.MIN_VALUE, state.oldestPending != oldestBefore);
      card.update(state.toRow());
    }
    return CollectionConverters.asScala(out.iterator());
  }

  @Override
  public scala.collection.Iterator<Row> handleExpiredTimer(String key, TimerValues timers, ExpiredTimerInfo expired) {
    List<Row> out = new ArrayList<>();
    Card state = readCard();
    // Spark deletes the timer that is firing once this returns.
    long firing = expired.getExpiryTimeInMs();
    if (state.dueTimer == firing) {
      state.dueTimer = NONE;
    }
    if (state.cleanupTimer == firing) {
      state.cleanupTimer = NONE;
    }
    long watermarkMillis = timers.getCurrentWatermarkInMs();
    emitDue(state, list(pending), List.of(), dueBefore(watermarkMillis), watermarkMillis * 1000L, firing, out);
    return CollectionConverters.asScala(out.iterator());
  }

  /**
   * Where this task's timers run, after every input row of the micro-batch: the events before the
   * returned time (micros) are due. Spark moves the watermark only for the next micro-batch, to the
   * newest event time of this one minus the lateness, in milliseconds. The newest event this task
   * has read is at most that newest, so any event of a window ending before it that is still to come
   * will be behind the watermark when it arrives: late, not counted in windows already written, as
   * it would not be had they been written in the next micro-batch. So an event goes out in the
   * micro-batch whose events move the watermark past it, rather than one micro-batch later. The
   * value depends only on the rows of the task, so a replayed batch emits the same.
   */
  private long dueBefore(long watermarkMillis) {
    return Math.max(watermarkMillis, movedWatermarkMillis()) * 1000L;
  }

  /** The watermark (ms) this task's events will give the next micro-batch at least; NONE before it has read any. */
  private long movedWatermarkMillis() {
    return batchNewestMillis == NONE ? NONE : batchNewestMillis - latenessMillis;
  }

  /**
   * Emits the waiting events the watermark has passed, each with its window over the card's events
   * emitted before, the late events of this batch and each other; keeps the rest waiting; forgets
   * what no later window can reach; leaves one timer for the next thing to do.
   */
  private void emitDue(Card state, List<Row> waiting, List<Row> late, long dueBefore, long watermark, long firing,
      List<Row> out) {
    List<Entry> window = readContext(state);
    int held = window.size();
    for (Row event : late) {
      window.add(entry(event, false));
    }
    boolean emitting = false;
    List<Row> still = new ArrayList<>();
    state.oldestPending = Long.MAX_VALUE;
    for (Row event : waiting) {
      long micros = WindowFeatures.micros(event.get(TIME));
      if (micros < dueBefore) {
        window.add(entry(event, true));
        emitting = true;
      } else {
        still.add(event);
        state.oldestPending = Math.min(state.oldestPending, micros);
      }
    }
    if (window.size() != held) {
      // The context is already in canonical order, so this sort is a merge of the new entries.
      window.sort(WindowFeatures.CANONICAL_ORDER);
    }
    if (emitting) {
      calculator.forEachWindow(window, Entry::toEmit, (e, lo, hi) -> {
        Row event = e.event();
        FeatureValues f = calculator.features(e, event.getString(CARD_COUNTRY), event.getString(MERCHANT_COUNTRY), window, lo, hi);
        out.add(SilverEngine.output(WindowFeatures.silverRow(event, f, false), SilverEngine.SILVER));
      });
    }
    // Every event still to come on time is at or after the watermark, so its window starts at or
    // after watermark − window; late events get theirs from silver.
    long keepFrom = watermark - windowMicros;
    List<Entry> kept = new ArrayList<>(window.size());
    state.newestContext = NONE;
    for (Entry e : window) {
      if (e.micros() >= keepFrom) {
        kept.add(e.asContext());
        state.newestContext = Math.max(state.newestContext, e.micros());
      }
    }
    replace(pending, still);
    forgetIdsBefore(state, watermark - horizonMicros);
    if (state.newestId == NONE) {
      // The card is quiet for longer than the horizon: nothing of it is needed any more.
      kept.clear();
      state.newestContext = NONE;
    }
    if (kept.size() != held || window.size() != held) {
      writeContext(kept);
    }
    long watermarkMillis = watermark / 1000L;
    // A timer set now at or before the watermark would fire again in this micro-batch's timer pass.
    resetTimers(state, firing, watermarkMillis, firing == NONE ? Long.MIN_VALUE : watermarkMillis + 1, true);
    if (state.dueTimer == NONE && state.cleanupTimer == NONE) {
      card.clear();
    } else {
      card.update(state.toRow());
    }
  }

  /** The card's context in canonical order; empty when the card state says it holds none, without reading the store. */
  private List<Entry> readContext(Card state) {
    if (state.newestContext == NONE) {
      return new ArrayList<>();
    }
    byte[] bytes = context.get();
    if (bytes != null) {
      return WindowContext.decode(bytes);
    }
    // A checkpoint written before the binary value holds the card's context as a list: it is read
    // this once, and the caller writes it back as the value.
    List<Entry> entries = new ArrayList<>();
    for (Row c : list(olderContext)) {
      entries.add(new Entry(c.getLong(1), c.getString(0), c.getDouble(2), c.getString(3), null));
    }
    olderContext.clear();
    entries.sort(WindowFeatures.CANONICAL_ORDER);
    return entries;
  }

  private void writeContext(List<Entry> entries) {
    if (entries.isEmpty()) {
      context.clear();
    } else {
      context.update(WindowContext.encode(entries));
    }
  }

  /**
   * Forgets the IDs whose event time is before {@code horizon}. The map is scanned only once its
   * oldest ID is an eighth of the horizon past it, so each scan forgets a good share of what it reads.
   */
  private void forgetIdsBefore(Card state, long horizon) {
    if (state.newestId == NONE) {
      return;
    }
    if (state.newestId < horizon) {
      ids.clear();
      state.oldestId = Long.MAX_VALUE;
      state.newestId = NONE;
      return;
    }
    if (state.oldestId < horizon - horizonMicros / 8) {
      long oldest = Long.MAX_VALUE;
      List<String> forget = new ArrayList<>();
      for (scala.collection.Iterator<scala.Tuple2<String, Long>> it = ids.iterator(); it.hasNext(); ) {
        scala.Tuple2<String, Long> id = it.next();
        if (id._2() < horizon) {
          forget.add(id._1());
        } else {
          oldest = Math.min(oldest, id._2());
        }
      }
      forget.forEach(ids::removeKey);
      state.oldestId = oldest;
    }
  }

  /**
   * Two timers per card at most: one for when the oldest waiting event may be due, and one for when
   * the horizon will have passed every ID the card holds (it then clears the card). The second is set
   * once and, when it fires early because newer IDs came, set again; so a card that keeps getting
   * events costs one timer per burst, which Spark deletes as it fires.
   *
   * <p>The first fires in the micro-batch after the watermark has come within one micro-batch's
   * advance of the event (the advance this task sees now), so that it runs in the micro-batch whose
   * events move the watermark past the event ({@link #dueBefore}); it is not set before {@code
   * earliest}. Without {@code retarget} an existing one is kept, unless the new one fires in this
   * micro-batch and the old one would not.
   */
  private void resetTimers(Card state, long firing, long watermarkMillis, long earliest, boolean retarget) {
    long moved = movedWatermarkMillis();
    long advance = moved == NONE ? 0 : Math.max(0, moved - watermarkMillis);
    long due = state.oldestPending == Long.MAX_VALUE ? NONE
        : Math.max(earliest, Math.floorDiv(state.oldestPending, 1000L) + 1 - advance);
    // An existing timer that would not fire in this micro-batch makes way for one that would.
    boolean sooner = due != NONE && due <= watermarkMillis && state.dueTimer > watermarkMillis;
    if (due != state.dueTimer && (retarget || state.dueTimer == NONE || sooner)) {
      if (state.dueTimer != NONE && state.dueTimer != firing) {
        getHandle().deleteTimer(state.dueTimer);
      }
      if (due != NONE) {
        getHandle().registerTimer(due);
      }
      state.dueTimer = due;
    }
    if (state.cleanupTimer == NONE && state.newestId != NONE) {
      long cleanup = Math.max(Math.floorDiv(state.newestId + horizonMicros, 1000L), watermarkMillis) + 1;
      getHandle().registerTimer(cleanup);
      state.cleanupTimer = cleanup;
    }
  }

  private Card readCard() {
    Card state = new Card();
    // get() alone: it is null for a card without state, and exists() would read the store a second time.
    Row r = card.get();
    if (r != null) {
      state.dueTimer = r.getLong(0);
      state.cleanupTimer = r.getLong(1);
      state.oldestPending = r.getLong(2);
      state.newestContext = r.getLong(3);
      state.oldestId = r.getLong(4);
      state.newestId = r.getLong(5);
    }
    return state;
  }

  private static Row bronzeOf(Row input, Timestamp ingestedAt) {
    Object[] values = new Object[BRONZE_WIDTH];
    for (int i = 0; i < BRONZE_WIDTH; i++) {
      values[i] = input.get(i);
    }
    if (ingestedAt != null) {
      values[INGESTED] = ingestedAt;
    }
    return new GenericRowWithSchema(values, BronzeParser.BRONZE_SCHEMA);
  }

  /** The event as a window reads it; {@code toEmit} keeps its row, so that its features are computed and written. */
  private static Entry entry(Row event, boolean toEmit) {
    return new Entry(WindowFeatures.micros(event.get(TIME)), event.getString(ID), event.getDouble(AMOUNT), event.getString(PRODUCT),
        toEmit ? event : null);
  }

  /** The list's rows; get() alone is empty for a card without any (exists() would read the store a second time). */
  private static List<Row> list(ListState<Row> state) {
    List<Row> rows = new ArrayList<>();
    CollectionConverters.asJava(state.get()).forEachRemaining(rows::add);
    return rows;
  }

  private static void replace(ListState<Row> state, List<Row> rows) {
    if (rows.isEmpty()) {
      state.clear();
    } else {
      state.put(rows.toArray(new Row[0]));
    }
  }

  private static Iterable<Row> iterable(scala.collection.Iterator<Row> rows) {
    return () -> CollectionConverters.asJava(rows);
  }
}
