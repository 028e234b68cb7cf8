package io.fraudlake.silver;

import io.fraudlake.bronze.BronzeParser;
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
 *   <li>{@code recent}: what the windows of those events still need of the events already emitted
 *       (id, time, amount, product, for event times at or after watermark − window);
 *   <li>{@code ids}: the TransactionIDs seen, each until the watermark is {@code
 *       features.dedupe-horizon} past its event time (an event-time horizon: Spark's time to live
 *       counts processing time, which a replay of history or a stopped stream would distort, and
 *       is not offered with event-time timers), and the range of their event times.
 * </ul>
 *
 * <p>The watermark W is Spark's: the newest event time of the earlier micro-batches minus the
 * lateness. An incoming copy of an ID already pending, seen, or earlier in the same batch (the first
 * copy by {@link FirstCopyOrder} wins, as in batch silver) is a {@link SilverEngine#DUPLICATE}. A new
 * event at or after W waits; one before W is late: it goes out at once as {@link SilverEngine#LATE},
 * and the sink gives it its window from silver. Once W has passed a pending event (an event-time
 * timer per card), it goes out as {@link SilverEngine#SILVER} with its features computed by {@link
 * WindowFeatures} over the card's events in the window, exactly as {@code silver --batch} computes them.
 *
 * <p>With {@code echo} (the live pipeline, whose input is landing's parsed lines), every input row
 * also comes out as {@link SilverEngine#BRONZE} or {@link SilverEngine#QUARANTINE}, stamped with the
 * micro-batch's time, which Spark records in its offset log so a replay stamps the same.
 */
final class SilverProcessor extends StatefulProcessor<String, Row, Row> {
  private static final long serialVersionUID = 1L;

  /** The oldest and newest event time among the IDs held. */
  private static final StructType ID_TIMES = new StructType()
      .add("oldest", DataTypes.LongType)
      .add("newest", DataTypes.LongType);
  static final StructType CONTEXT_STATE = new StructType()
      .add("TransactionID", DataTypes.StringType)
      .add("micros", DataTypes.LongType)
      .add("TransactionAmt", DataTypes.DoubleType)
      .add("ProductCD", DataTypes.StringType);
  /** What the window arithmetic reads of an event that is context only. */
  private static final StructType CONTEXT_ROW = new StructType()
      .add("TransactionID", DataTypes.StringType)
      .add("event_timestamp", DataTypes.TimestampType)
      .add("TransactionAmt", DataTypes.DoubleType)
      .add("ProductCD", DataTypes.StringType)
      .add("_emit", DataTypes.BooleanType)
      .add("arrived_late", DataTypes.BooleanType);
  private static final StructType EMIT_ROW = BronzeParser.BRONZE_SCHEMA
      .add("_emit", DataTypes.BooleanType)
      .add("arrived_late", DataTypes.BooleanType);

  private static final long NO_TIMER = Long.MIN_VALUE;
  private static final int BRONZE_WIDTH = BronzeParser.BRONZE_SCHEMA.size();
  private static final int ID = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionID");
  private static final int TIME = BronzeParser.BRONZE_SCHEMA.fieldIndex("event_timestamp");
  private static final int AMOUNT = BronzeParser.BRONZE_SCHEMA.fieldIndex("TransactionAmt");
  private static final int PRODUCT = BronzeParser.BRONZE_SCHEMA.fieldIndex("ProductCD");
  private static final int INGESTED = BronzeParser.BRONZE_SCHEMA.fieldIndex("ingested_at");
  private static final int SOURCE = BronzeParser.BRONZE_SCHEMA.fieldIndex("source_file");
  private static final int RAW = SilverEngine.INPUT_SCHEMA.fieldIndex("raw");
  private static final int REASON = SilverEngine.INPUT_SCHEMA.fieldIndex("reason");

  private final WindowFeatures calculator;
  private final long windowMicros;
  private final long horizonMicros;
  private final boolean echo;
  private final LongAccumulator input;

  private transient ListState<Row> pending;
  private transient ListState<Row> recent;
  private transient MapState<String, Long> ids;
  private transient ValueState<Row> idTimes;

  SilverProcessor(WindowFeatures calculator, long windowSeconds, Duration dedupeHorizon, boolean echo, LongAccumulator input) {
    this.input = input;
    this.calculator = calculator;
    this.windowMicros = windowSeconds * 1_000_000L;
    this.horizonMicros = dedupeHorizon.toNanos() / 1000;
    this.echo = echo;
  }

  @Override
  public void init(OutputMode outputMode, TimeMode timeMode) {
    pending = getHandle().getListState("pending", Encoders.row(BronzeParser.BRONZE_SCHEMA), TTLConfig.NONE());
    recent = getHandle().getListState("recent", Encoders.row(CONTEXT_STATE), TTLConfig.NONE());
    ids = getHandle().getMapState("ids", Encoders.STRING(), Encoders.LONG(), TTLConfig.NONE());
    idTimes = getHandle().getValueState("idTimes", Encoders.row(ID_TIMES), TTLConfig.NONE());
  }

  @Override
  public scala.collection.Iterator<Row> handleInputRows(String card, scala.collection.Iterator<Row> rows, TimerValues timers) {
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
    candidates.sort(FirstCopyOrder.INSTANCE);

    long watermark = timers.getCurrentWatermarkInMs() * 1000L;
    List<Row> waiting = list(pending);
    Set<String> known = new HashSet<>();
    waiting.forEach(r -> known.add(r.getString(ID)));
    List<Row> late = new ArrayList<>();
    long[] times = idTimes();
    for (Row event : candidates) {
      String id = event.getString(ID);
      if (!known.add(id) || ids.containsKey(id)) {
        out.add(SilverEngine.output(event, SilverEngine.DUPLICATE));
        continue;
      }
      long micros = WindowFeatures.micros(event.get(TIME));
      ids.updateValue(id, micros);
      times[0] = Math.min(times[0], micros);
      times[1] = Math.max(times[1], micros);
      if (micros < watermark) {
        late.add(event);
        out.add(SilverEngine.output(event, SilverEngine.LATE));
      } else {
        waiting.add(event);
      }
    }
    if (times[1] != Long.MIN_VALUE) {
      idTimes.update(new GenericRowWithSchema(new Object[] {times[0], times[1]}, ID_TIMES));
    }
    emitDue(waiting, late, watermark, NO_TIMER, out);
    return CollectionConverters.asScala(out.iterator());
  }

  @Override
  public scala.collection.Iterator<Row> handleExpiredTimer(String card, TimerValues timers, ExpiredTimerInfo expired) {
    List<Row> out = new ArrayList<>();
    emitDue(list(pending), List.of(), timers.getCurrentWatermarkInMs() * 1000L, expired.getExpiryTimeInMs(), out);
    return CollectionConverters.asScala(out.iterator());
  }

  /**
   * Emits the waiting events the watermark has passed, each with its window over the card's events
   * emitted before, the late events of this batch and each other; keeps the rest waiting; forgets
   * what no later window can reach; leaves one timer for the next thing to do.
   */
  private void emitDue(List<Row> waiting, List<Row> late, long watermark, long firing, List<Row> out) {
    List<Row> context = list(recent);
    for (Row event : late) {
      context.add(contextState(event));
    }
    List<Row> due = new ArrayList<>();
    List<Row> still = new ArrayList<>();
    long from = Long.MAX_VALUE;
    for (Row event : waiting) {
      long micros = WindowFeatures.micros(event.get(TIME));
      if (micros < watermark) {
        due.add(event);
        from = Math.min(from, micros - windowMicros);
      } else {
        still.add(event);
      }
    }
    if (!due.isEmpty()) {
      List<Row> rows = new ArrayList<>(due.size() + context.size());
      for (Row event : due) {
        rows.add(emitRow(event));
      }
      for (Row c : context) {
        if (c.getLong(1) >= from) {
          rows.add(contextRow(c));
        }
      }
      calculator.compute(rows.iterator()).forEachRemaining(r -> out.add(SilverEngine.output(r, SilverEngine.SILVER)));
      for (Row event : due) {
        context.add(contextState(event));
      }
    }
    // Every event still to come on time is at or after the watermark, so its window starts at or
    // after watermark − window; late events get theirs from silver.
    long keepFrom = watermark - windowMicros;
    List<Row> kept = new ArrayList<>(context.size());
    long newest = Long.MIN_VALUE;
    for (Row c : context) {
      if (c.getLong(1) >= keepFrom) {
        kept.add(c);
        newest = Math.max(newest, c.getLong(1));
      }
    }
    replace(recent, kept);
    replace(pending, still);
    long newestId = forgetIdsBefore(watermark - horizonMicros);
    resetTimer(still, newest, newestId, firing);
  }

  /**
   * Forgets the IDs whose event time is before {@code horizon}; returns the newest event time among
   * the IDs kept (MIN_VALUE if none). The map is scanned only once its oldest ID is an eighth of the
   * horizon past it, so each scan forgets a good share of what it reads.
   */
  private long forgetIdsBefore(long horizon) {
    long[] times = idTimes();
    if (times[1] == Long.MIN_VALUE) {
      return Long.MIN_VALUE;
    }
    if (times[1] < horizon) {
      ids.clear();
      idTimes.clear();
      return Long.MIN_VALUE;
    }
    if (times[0] < horizon - horizonMicros / 8) {
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
      idTimes.update(new GenericRowWithSchema(new Object[] {oldest, times[1]}, ID_TIMES));
    }
    return times[1];
  }

  /** The oldest and newest event times of the IDs held; MAX_VALUE and MIN_VALUE when none. */
  private long[] idTimes() {
    Row r = idTimes.exists() ? idTimes.get() : null;
    return r == null ? new long[] {Long.MAX_VALUE, Long.MIN_VALUE} : new long[] {r.getLong(0), r.getLong(1)};
  }

  /**
   * One timer per card, for the next thing to do: emit the oldest waiting event, or else forget the
   * context once no window can reach it, or else forget the IDs once the horizon has passed them all.
   */
  private void resetTimer(List<Row> still, long newestContext, long newestId, long firing) {
    long next;
    if (!still.isEmpty()) {
      next = Math.floorDiv(still.stream().mapToLong(r -> WindowFeatures.micros(r.get(TIME))).min().orElseThrow(), 1000L) + 1;
    } else if (newestContext != Long.MIN_VALUE) {
      next = Math.floorDiv(newestContext + windowMicros, 1000L) + 1;
    } else if (newestId != Long.MIN_VALUE) {
      next = Math.floorDiv(newestId + horizonMicros, 1000L) + 1;
    } else {
      next = NO_TIMER;
    }
    boolean registered = false;
    for (scala.collection.Iterator<Object> it = getHandle().listTimers(); it.hasNext(); ) {
      long timer = (Long) it.next();
      if (timer == next) {
        registered = true;
      } else if (timer != firing) {
        // Spark deletes the timer that is firing once its handler returns.
        getHandle().deleteTimer(timer);
      }
    }
    if (next != NO_TIMER && !registered) {
      getHandle().registerTimer(next);
    }
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

  private static Row emitRow(Row event) {
    Object[] values = new Object[EMIT_ROW.size()];
    for (int i = 0; i < BRONZE_WIDTH; i++) {
      values[i] = event.get(i);
    }
    values[BRONZE_WIDTH] = true;
    values[BRONZE_WIDTH + 1] = false;
    return new GenericRowWithSchema(values, EMIT_ROW);
  }

  private static Row contextState(Row event) {
    return new GenericRowWithSchema(new Object[] {event.getString(ID), WindowFeatures.micros(event.get(TIME)),
        event.getDouble(AMOUNT), event.getString(PRODUCT)}, CONTEXT_STATE);
  }

  private static Row contextRow(Row state) {
    return new GenericRowWithSchema(new Object[] {state.getString(0), WindowFeatures.timestamp(state.getLong(1)),
        state.getDouble(2), state.getString(3), false, false}, CONTEXT_ROW);
  }

  private static List<Row> list(ListState<Row> state) {
    List<Row> rows = new ArrayList<>();
    if (state.exists()) {
      CollectionConverters.asJava(state.get()).forEachRemaining(rows::add);
    }
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
