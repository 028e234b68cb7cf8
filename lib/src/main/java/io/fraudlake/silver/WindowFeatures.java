package io.fraudlake.silver;

import java.io.Serializable;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The window arithmetic of the eight features, for the transactions of one card. Batch and stream
 * both call this class, so they cannot disagree: events are put in one canonical order (event time,
 * then TransactionID) and every window is summed in that order, so the same window contents give
 * the same doubles bit for bit, whichever micro-batch an event came in.
 *
 * <p>Input rows have the bronze columns plus {@code _emit} (compute this row's features) and
 * {@code arrived_late}; rows with {@code _emit = false} are context only (already in silver).
 */
public final class WindowFeatures implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long windowMicros;
  private final double highValueThreshold;

  public WindowFeatures(long windowSeconds, double highValueThreshold) {
    this.windowMicros = windowSeconds * 1_000_000L;
    this.highValueThreshold = highValueThreshold;
  }

  /** What the window arithmetic reads of a transaction. */
  public interface WindowEvent {
    long micros();

    String id();

    double amount();

    String product();
  }

  /** The canonical order every window is summed in: event time, then TransactionID. */
  public static final Comparator<WindowEvent> CANONICAL_ORDER =
      Comparator.comparingLong(WindowEvent::micros).thenComparing(WindowEvent::id);

  public Iterator<Row> compute(Iterator<Row> rows) {
    List<WindowContext.Entry> events = new ArrayList<>();
    while (rows.hasNext()) {
      Row r = rows.next();
      events.add(new WindowContext.Entry(micros(r.getAs("event_timestamp")), r.getAs("TransactionID"), r.getAs("TransactionAmt"),
          r.getAs("ProductCD"), r.<Boolean>getAs("_emit") ? r : null));
    }
    events.sort(CANONICAL_ORDER);
    List<Row> out = new ArrayList<>();
    forEachWindow(events, WindowContext.Entry::toEmit, (e, lo, hi) -> {
      Row r = e.event();
      FeatureValues f = features(e, r.getAs("card_country"), r.getAs("merchant_country"), events, lo, hi);
      out.add(silverRow(r, f, r.<Boolean>getAs("arrived_late")));
    });
    return out.iterator();
  }

  /** Receives an event to emit and the bounds of its window in the list {@link #forEachWindow} walks. */
  @FunctionalInterface
  public interface WindowVisitor<E extends WindowEvent> {
    void visit(E event, int lo, int hi);
  }

  /**
   * Visits every event of {@code events}, a list in {@link #CANONICAL_ORDER}, that {@code emit}
   * accepts, with its window {@code events[lo..hi]}: the events from {@link #windowStart} on, up to
   * and including every event at its own time.
   */
  public <E extends WindowEvent> void forEachWindow(List<E> events, Predicate<? super E> emit, WindowVisitor<E> visitor) {
    int lo = 0;
    int hi = 0;
    for (int i = 0; i < events.size(); i++) {
      E e = events.get(i);
      long from = windowStart(e.micros());
      while (events.get(lo).micros() < from) {
        lo++;
      }
      // Same-timestamp transactions are in each other's windows, so the window ends after the last one.
      if (hi < i) {
        hi = i;
      }
      while (hi + 1 < events.size() && events.get(hi + 1).micros() == e.micros()) {
        hi++;
      }
      if (emit.test(e)) {
        visitor.visit(e, lo, hi);
      }
    }
  }

  /** Silver's row for the bronze event {@code r} (read by column name) with its features. */
  static Row silverRow(Row r, FeatureValues f, boolean arrivedLate) {
    return RowFactory.create(
        r.getAs("TransactionID"),
        r.getAs("event_timestamp"),
        r.getAs("card_id"),
        f.amount(),
        r.getAs("ProductCD"),
        r.getAs("card_country"),
        r.getAs("merchant_country"),
        r.getAs("isFraud"),
        r.getAs("extra_fields"),
        r.getAs("source_file"),
        r.getAs("ingested_at"),
        f.logAmount(),
        f.highValue(),
        f.international(),
        f.count(),
        f.mean(),
        f.stddev(),
        f.productDiversity(),
        arrivedLate);
  }

  /** The earliest event time (µs) in the window of a transaction at {@code micros}: the window is [τ − window, τ]. */
  public long windowStart(long micros) {
    return micros - windowMicros;
  }

  /**
   * The eight features of {@code e}, whose window is {@code window[lo..hi]}: a list in {@link
   * #CANONICAL_ORDER} holding e, every event of its card from {@link #windowStart} on, and those at
   * e's own time.
   */
  public FeatureValues features(WindowEvent e, String cardCountry, String merchantCountry,
      List<? extends WindowEvent> window, int lo, int hi) {
    long count = hi - lo + 1;
    double sum = 0;
    Set<String> products = new HashSet<>();
    for (int j = lo; j <= hi; j++) {
      sum += window.get(j).amount();
      products.add(window.get(j).product());
    }
    double mean = sum / count;
    double stddev = 0.0;
    if (count > 1) {
      double squares = 0;
      for (int j = lo; j <= hi; j++) {
        double d = window.get(j).amount() - mean;
        squares += d * d;
      }
      stddev = Math.sqrt(squares / (count - 1));
    }
    double amount = e.amount();
    return new FeatureValues(amount, Math.log1p(amount), amount > highValueThreshold ? 1 : 0,
        international(cardCountry, merchantCountry) ? 1 : 0, count, mean, stddev, products.size());
  }

  /** Both countries known (not blank) and different, ignoring case and surrounding blanks. */
  public static boolean international(String cardCountry, String merchantCountry) {
    if (cardCountry == null || merchantCountry == null || cardCountry.isBlank() || merchantCountry.isBlank()) {
      return false;
    }
    return !cardCountry.trim().toUpperCase(Locale.ROOT).equals(merchantCountry.trim().toUpperCase(Locale.ROOT));
  }

  static long micros(Object timestamp) {
    if (timestamp instanceof Timestamp ts) {
      return Math.floorDiv(ts.getTime(), 1000L) * 1_000_000L + ts.getNanos() / 1000;
    }
    Instant instant = (Instant) timestamp;
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1000;
  }

  /** The inverse of {@link #micros}: a timestamp with microsecond precision. */
  static Timestamp timestamp(long micros) {
    Timestamp out = new Timestamp(Math.floorDiv(micros, 1_000_000L) * 1000L);
    out.setNanos((int) Math.floorMod(micros, 1_000_000L) * 1000);
    return out;
  }
}
