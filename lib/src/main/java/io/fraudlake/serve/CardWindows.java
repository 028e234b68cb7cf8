package io.fraudlake.serve;

import io.fraudlake.bronze.CleanEventParser;
import io.fraudlake.silver.FeatureValues;
import io.fraudlake.silver.WindowFeatures;
import io.fraudlake.silver.WindowFeatures.WindowEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service's per-card memory: each card's recent events in silver's canonical order, with the
 * answer given for each, so that a transaction's features come from {@link WindowFeatures} over the
 * same window silver gives it, and a re-sent TransactionID gets its first answer back.
 *
 * <p>The watermark is silver's: the newest event time seen minus {@code features.lateness}. An event
 * behind it is answered at once but flagged late. A card keeps the events that windows of on-time
 * events can still reach (event time at or after watermark − window); older ones are evicted when
 * the card is next touched and by {@link #evictExpired}, so memory is bounded by the traffic of one
 * window plus the lateness, whatever the uptime.
 *
 * <p>Each card is locked on its own: requests for different cards never wait for each other.
 */
public final class CardWindows {
  private static final long NONE = Long.MIN_VALUE;

  private final WindowFeatures calculator;
  private final long windowMicros;
  private final long latenessMicros;
  private final ConcurrentHashMap<String, Card> cards = new ConcurrentHashMap<>();
  private final AtomicLong newestMicros = new AtomicLong(NONE);
  private final AtomicLong eventsHeld = new AtomicLong();

  public CardWindows(WindowFeatures calculator, long windowSeconds, Duration lateness) {
    this.calculator = calculator;
    this.windowMicros = windowSeconds * 1_000_000L;
    this.latenessMicros = lateness.toNanos() / 1000;
  }

  /** One answered event of a request: the answer, and whether it is the answer of an earlier copy. */
  public record Admitted(Answer answer, boolean duplicate) {}

  /** How much the service holds: cards with events in memory, and those events. */
  public record Size(long cards, long events) {}

  /** A held event: what the window reads of it, and the answer it got. */
  private static final class Held implements WindowEvent {
    private final CleanEventParser.Event event;
    private Answer answer;

    Held(CleanEventParser.Event event) {
      this.event = event;
    }

    @Override
    public long micros() {
      return event.eventMicros();
    }

    @Override
    public String id() {
      return event.transactionId();
    }

    @Override
    public double amount() {
      return event.amount();
    }

    @Override
    public String product() {
      return event.productCd();
    }
  }

  private static final class Card {
    final List<Held> events = new ArrayList<>();
    final Map<String, Held> byId = new HashMap<>();
    boolean removed;
  }

  /**
   * Adds the events (in request order: the first copy of an id wins, as silver keeps the first) and
   * answers each with {@code model}. Events of one card in one request see each other, as events of
   * one micro-batch do in silver.
   */
  public List<Admitted> admit(List<CleanEventParser.Event> events, ServedModel model) {
    Map<String, List<Integer>> byCard = new LinkedHashMap<>();
    for (int i = 0; i < events.size(); i++) {
      byCard.computeIfAbsent(events.get(i).cardId(), c -> new ArrayList<>(1)).add(i);
    }
    long newest = newestMicros.get();
    long watermark = newest == NONE ? NONE : newest - latenessMicros;
    Admitted[] out = new Admitted[events.size()];
    double[] scratch = new double[8];
    for (Map.Entry<String, List<Integer>> group : byCard.entrySet()) {
      while (!admitCard(group.getKey(), group.getValue(), events, watermark, model, out, scratch)) {
        // The card was swept away between lookup and lock: take the new one.
      }
    }
    long requestNewest = events.stream().mapToLong(CleanEventParser.Event::eventMicros).max().orElse(NONE);
    newestMicros.accumulateAndGet(requestNewest, Math::max);
    return List.of(out);
  }

  private boolean admitCard(String cardId, List<Integer> indices, List<CleanEventParser.Event> events, long watermark,
      ServedModel model, Admitted[] out, double[] scratch) {
    Card card = cards.computeIfAbsent(cardId, c -> new Card());
    synchronized (card) {
      if (card.removed) {
        return false;
      }
      if (watermark != NONE) {
        evict(card, watermark - windowMicros);
      }
      List<Held> fresh = new ArrayList<>(indices.size());
      boolean[] firstCopy = new boolean[indices.size()];
      for (int k = 0; k < indices.size(); k++) {
        CleanEventParser.Event event = events.get(indices.get(k));
        if (!card.byId.containsKey(event.transactionId())) {
          Held held = new Held(event);
          int at = Collections.binarySearch(card.events, held, WindowFeatures.CANONICAL_ORDER);
          card.events.add(at < 0 ? -at - 1 : at, held);
          card.byId.put(event.transactionId(), held);
          eventsHeld.incrementAndGet();
          fresh.add(held);
          firstCopy[k] = true;
        }
      }
      for (Held held : fresh) {
        held.answer = answer(card, held, held.micros() < watermark, model, scratch);
      }
      for (int k = 0; k < indices.size(); k++) {
        int i = indices.get(k);
        out[i] = new Admitted(card.byId.get(events.get(i).transactionId()).answer, !firstCopy[k]);
      }
      return true;
    }
  }

  private Answer answer(Card card, Held held, boolean late, ServedModel model, double[] scratch) {
    long from = calculator.windowStart(held.micros());
    int lo = firstAtOrAfter(card.events, from);
    int hi = firstAtOrAfter(card.events, held.micros() + 1) - 1;
    CleanEventParser.Event e = held.event;
    FeatureValues features = calculator.features(held, e.cardCountry(), e.merchantCountry(), card.events, lo, hi);
    double score = model.scorer().score(features, scratch);
    return new Answer(e.transactionId(), features, score, model.scorer().isAnomaly(score), model.name(), model.version(), late);
  }

  /** The index of the first event at or after {@code micros} (the list is in canonical order). */
  private static int firstAtOrAfter(List<Held> events, long micros) {
    int lo = 0;
    int hi = events.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (events.get(mid).micros() < micros) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void evict(Card card, long before) {
    int expired = firstAtOrAfter(card.events, before);
    if (expired > 0) {
      List<Held> gone = card.events.subList(0, expired);
      for (Held held : gone) {
        card.byId.remove(held.id());
      }
      gone.clear();
      eventsHeld.addAndGet(-expired);
    }
  }

  /** Evicts what no window can reach any more, from every card, and forgets cards left empty. */
  public void evictExpired() {
    long newest = newestMicros.get();
    if (newest == NONE) {
      return;
    }
    long before = newest - latenessMicros - windowMicros;
    for (Map.Entry<String, Card> entry : cards.entrySet()) {
      Card card = entry.getValue();
      synchronized (card) {
        evict(card, before);
        if (card.events.isEmpty()) {
          card.removed = true;
          cards.remove(entry.getKey(), card);
        }
      }
    }
  }

  public Size size() {
    return new Size(cards.size(), eventsHeld.get());
  }

  /** The watermark in microseconds since the epoch, or empty before the first event. */
  public java.util.OptionalLong watermarkMicros() {
    long newest = newestMicros.get();
    return newest == NONE ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(newest - latenessMicros);
  }
}
