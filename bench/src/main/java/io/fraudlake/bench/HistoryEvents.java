package io.fraudlake.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The events of {@link HistoryScalingBenchmark}: event {@code i} of a lakehouse's history is a pure
 * function of {@code i} and the options, so a history can be extended in steps (1M, then to 10M) and
 * every increment continues it. Event times advance at {@code rate} events per second of event time
 * from {@code startMs}, in order, over {@code cards} cards chosen at random; amounts are lognormal,
 * 8 products, 2% abroad. Files are JSON lines written beside landing's visible names and renamed in,
 * with strictly increasing modification times so Spark's file source takes them in event-time order.
 *
 * <p>How far a lakehouse's history has got (the next event index) is kept in {@code <home>/history-cursor}.
 */
final class HistoryEvents {
  private static final String[] PRODUCTS = {"W", "H", "C", "S", "R", "G", "D", "T"};
  private static final String CURSOR = "history-cursor";

  private final long startMs;
  private final double rate;
  private final int cards;
  private long lastModified;

  HistoryEvents(long startMs, double rate, int cards) {
    this.startMs = startMs;
    this.rate = rate;
    this.cards = cards;
  }

  /** Event time of event {@code i}, epoch milliseconds. */
  long eventMs(long i) {
    return startMs + (long) Math.floor(i * 1000.0 / rate);
  }

  /** The next event index of the history in {@code home} (0 for a new one). */
  static long cursor(Path home) {
    Path file = home.resolve(CURSOR);
    try {
      return Files.isRegularFile(file) ? Long.parseLong(Files.readString(file).trim()) : 0L;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void setCursor(Path home, long next) {
    try {
      Files.createDirectories(home);
      Files.writeString(home.resolve(CURSOR), next + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Lands events {@code cursor .. cursor + count - 1} of {@code home}'s history into {@code landing}
   * as files of at most {@code fileRows} events, and moves the cursor past them.
   */
  void land(Path home, Path landing, long count, int fileRows) {
    long from = cursor(home);
    try {
      Files.createDirectories(landing);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (long first = from; first < from + count; first += fileRows) {
      writeFile(landing, first, (int) Math.min(fileRows, from + count - first));
    }
    setCursor(home, from + count);
  }

  private void writeFile(Path landing, long first, int events) {
    String name = String.format(Locale.ROOT, "h-%012d.jsonl", first);
    Path hidden = landing.resolve("." + name + ".tmp");
    Path visible = landing.resolve(name);
    StringBuilder line = new StringBuilder(200);
    try (Writer out = Files.newBufferedWriter(hidden, StandardCharsets.UTF_8)) {
      for (long i = first; i < first + events; i++) {
        SplittableRandom random = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 17);
        long cents = Math.round(Math.exp(3.2 + random.nextGaussian()) * 100);
        line.setLength(0);
        line.append("{\"TransactionID\":\"h-").append(i)
            .append("\",\"event_timestamp\":").append(eventMs(i))
            .append(",\"card_id\":\"card-").append(random.nextInt(cards))
            .append("\",\"TransactionAmt\":").append(cents / 100).append('.');
        long c = cents % 100;
        line.append(c < 10 ? "0" : "").append(c)
            .append(",\"ProductCD\":\"").append(PRODUCTS[random.nextInt(PRODUCTS.length)])
            .append("\",\"card_country\":\"US\",\"merchant_country\":\"").append(random.nextInt(50) == 0 ? "GB" : "US")
            .append("\"}\n");
        out.append(line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + hidden, e);
    }
    try {
      Files.move(hidden, visible, StandardCopyOption.ATOMIC_MOVE);
      // Spark's file source orders files by modification time (milliseconds): no two may share one.
      lastModified = Math.max(System.currentTimeMillis(), lastModified + 1);
      Files.setLastModifiedTime(visible, FileTime.fromMillis(lastModified));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rename " + hidden, e);
    }
  }
}
