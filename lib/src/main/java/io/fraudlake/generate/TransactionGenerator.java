package io.fraudlake.generate;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.fraudlake.FraudLakeException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;

/**
 * Synthetic card transactions in the raw-event format the README documents, with labelled fraud the eight
 * silver features can see, and noise so that none of them separates fraud alone:
 *
 * <ul>
 *   <li>legitimate: per card a lognormal typical amount, a home country, two or three usual
 *       products and a daily rhythm; some quick follow-up purchases, a few big purchases and some
 *       travellers paying abroad;
 *   <li>fraud: card-testing bursts of tiny amounts seconds apart, sudden high-value purchases
 *       (often abroad), foreign sprees, product hopping within minutes, and a share that looks
 *       entirely normal; on request ({@link GeneratorOptions#foreignTestingShare()}) also foreign
 *       card-testing sweeps, many small tries abroad in every product within minutes.
 * </ul>
 *
 * <p>Each landing file holds a disjoint set of cards and is generated from its own random stream,
 * so files are written in parallel and the output depends only on the options, not on thread
 * timing. Files appear atomically: written under a hidden {@code .name.tmp} (file sources skip
 * hidden files) and renamed, so a running stream never sees half a file.
 */
public final class TransactionGenerator {
  static final String[] PRODUCTS = {"W", "H", "C", "S", "R", "G", "D", "T"};
  static final String[] COUNTRIES = {"US", "GB", "DE", "FR", "ES", "IT", "NL", "CA", "BR", "IN", "MX", "PL"};
  private static final double[] COUNTRY_WEIGHTS = {30, 12, 10, 9, 7, 6, 5, 6, 5, 4, 3, 3};
  private static final double[] HOUR_WEIGHTS = {
      1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 4, 4.2, 4.5, 5, 4.8, 4.5, 4.3, 4.5, 5, 5.5, 5.5, 5, 4, 3, 2};
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON = new JsonFactory();

  /** What a run wrote. */
  public record Result(List<Path> files, long rows, long fraudRows, long legitimateForeign, long epochMillisRows) {}

  /** One generated transaction, before it becomes a JSON line. */
  record Event(String id, long epochMillis, String card, double amount, String product, String cardCountry,
      String merchantCountry, int isFraud, boolean epochMillisFormat) {}

  private final GeneratorOptions options;

  public TransactionGenerator(GeneratorOptions options) {
    this.options = options;
  }

  /**
   * Writes the landing files; {@code runTag} keeps file names of separate runs apart. Cards are
   * simulated in parallel parts; the events are then cut into files by event time and the files
   * appear in time order (increasing modification times), so a stream that picks up only some of
   * them in one micro-batch still sees event time move forward, not events from the past.
   */
  public Result writeTo(Path landingDir, String runTag) {
    try {
      Files.createDirectories(landingDir);
    } catch (IOException e) {
      throw new FraudLakeException("cannot create landing folder " + landingDir + ": " + e.getMessage(), e);
    }
    List<Event> events = events();
    int files = (int) Math.max(1, Math.min(options.files(), events.size()));
    List<Path> temps = IntStream.range(0, files).parallel()
        .mapToObj(f -> writeTemp(landingDir, runTag, f,
            events.subList((int) ((long) events.size() * f / files), (int) ((long) events.size() * (f + 1) / files))))
        .toList();
    List<Path> paths = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (int f = 0; f < files; f++) {
      Path temp = temps.get(f);
      Path target = landingDir.resolve(temp.getFileName().toString().substring(1).replaceFirst("\\.tmp$", ""));
      try {
        Files.setLastModifiedTime(temp, java.nio.file.attribute.FileTime.fromMillis(now + f));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot rename " + temp + " to " + target, e);
      }
      paths.add(target);
    }
    return result(paths, events);
  }

  /**
   * Hands every event to {@code sink} as (card_id, JSON line), in event-time order: the same events
   * and lines that {@link #writeTo} writes, for a message bus instead of files.
   */
  public Result publish(BiConsumer<String, String> sink) {
    List<Event> events = events();
    StringWriter text = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(text)) {
      // One value per line handed over: no separator before the next.
      json.setRootValueSeparator(null);
      for (Event e : events) {
        writeEvent(json, e);
        json.flush();
        sink.accept(e.card(), text.toString());
        text.getBuffer().setLength(0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write an event as JSON", e);
    }
    return result(List.of(), events);
  }

  /** Every part's events, cards simulated in parallel, in event-time order. */
  private List<Event> events() {
    int parts = Math.min(options.files(), options.cards());
    return IntStream.range(0, parts).parallel()
        .mapToObj(part -> part(part, parts))
        .flatMap(List::stream)
        .sorted(Comparator.comparingLong(Event::epochMillis).thenComparing(Event::id))
        .toList();
  }

  private static Result result(List<Path> paths, List<Event> events) {
    long fraud = events.stream().filter(e -> e.isFraud() == 1).count();
    long foreign = events.stream().filter(e -> e.isFraud() == 0 && !e.cardCountry().equals(e.merchantCountry())).count();
    long millis = events.stream().filter(Event::epochMillisFormat).count();
    return new Result(paths, events.size(), fraud, foreign, millis);
  }

  private Path writeTemp(Path landingDir, String runTag, int file, List<Event> events) {
    Path temp = landingDir.resolve(String.format(".transactions-%s-part-%05d.jsonl.tmp", runTag, file));
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
        JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.setRootValueSeparator(new SerializedString("\n"));
      for (Event e : events) {
        writeEvent(json, e);
      }
      if (!events.isEmpty()) {
        json.writeRaw('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + temp, e);
    }
    return temp;
  }

  private static void writeEvent(JsonGenerator json, Event e) throws IOException {
    json.writeStartObject();
    json.writeStringField("TransactionID", e.id());
    if (e.epochMillisFormat()) {
      json.writeNumberField("event_timestamp", e.epochMillis());
    } else {
      json.writeStringField("event_timestamp", ISO_MILLIS.format(Instant.ofEpochMilli(e.epochMillis())));
    }
    json.writeStringField("card_id", e.card());
    json.writeNumberField("TransactionAmt", e.amount());
    json.writeStringField("ProductCD", e.product());
    json.writeStringField("card_country", e.cardCountry());
    json.writeStringField("merchant_country", e.merchantCountry());
    json.writeNumberField("isFraud", e.isFraud());
    json.writeEndObject();
  }

  /** The events of one part (its cards are those with index ≡ part mod parts), sorted by time. */
  List<Event> part(int part, int parts) {
    List<Integer> cardIndexes = new ArrayList<>();
    for (int c = part; c < options.cards(); c += parts) {
      cardIndexes.add(c);
    }
    long rowsBefore = (long) Math.floor((double) options.rows() * part / parts);
    long rowsUpTo = (long) Math.floor((double) options.rows() * (part + 1) / parts);
    int rows = (int) (rowsUpTo - rowsBefore);
    int fraudRows = (int) Math.round(rows * options.fraudRate());
    // Batch 0 keeps the stream (and the IDs) that seeds have always given; card habits never depend on the batch.
    long stream = options.batch() == 0 ? mix(options.seed(), part) : mix(mix(options.seed(), part), options.batch());
    SplittableRandom random = new SplittableRandom(stream);
    List<CardProfile> cards = cardIndexes.stream().map(c -> CardProfile.of(options.seed(), c)).toList();
    long[] lastLegit = new long[cards.size()];
    java.util.Arrays.fill(lastLegit, Long.MIN_VALUE);

    List<Event> events = new ArrayList<>(rows);
    long startMs = options.start().toEpochMilli();
    long spanMs = options.span().toMillis();
    for (int i = 0; i < rows - fraudRows; i++) {
      int k = random.nextInt(cards.size());
      CardProfile card = cards.get(k);
      long t;
      if (lastLegit[k] != Long.MIN_VALUE && random.nextDouble() < 0.12) {
        // A quick follow-up purchase: legitimate cards also show several transactions in 5 minutes.
        t = Math.min(startMs + spanMs - 1, lastLegit[k] + 15_000 + random.nextLong(225_000));
      } else {
        t = rhythmTime(random, startMs, spanMs);
      }
      lastLegit[k] = t;
      double amount;
      if (random.nextDouble() < 0.012) {
        amount = 900 + random.nextDouble() * 2600;
      } else {
        amount = card.typicalAmount() * Math.exp(0.55 * random.nextGaussian());
      }
      amount *= options.amountShift();
      String product = random.nextDouble() < 0.85 ? card.usualProduct(random) : PRODUCTS[random.nextInt(PRODUCTS.length)];
      String merchant = random.nextDouble() < options.foreignRate() ? otherCountry(random, card.home()) : card.home();
      events.add(new Event(null, t, card.id(), cents(amount), product, card.home(), merchant, 0, false));
    }
    int fraudLeft = fraudRows;
    while (fraudLeft > 0) {
      CardProfile card = cards.get(random.nextInt(cards.size()));
      long t = startMs + random.nextLong(spanMs);
      List<Event> episode = fraudEpisode(random, card, t, startMs + spanMs - 1);
      for (int i = 0; i < episode.size() && fraudLeft > 0; i++, fraudLeft--) {
        events.add(episode.get(i));
      }
    }
    events.sort(Comparator.comparingLong(Event::epochMillis).thenComparing(Event::card));
    List<Event> named = new ArrayList<>(events.size());
    String prefix = "tx-" + Long.toString(options.seed(), 36) + (options.batch() == 0 ? "" : "b" + options.batch())
        + "-" + part + "-";
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      boolean millis = random.nextDouble() < options.epochMillisRate();
      named.add(new Event(prefix + i, e.epochMillis(), e.card(), e.amount(), e.product(), e.cardCountry(),
          e.merchantCountry(), e.isFraud(), millis));
    }
    return named;
  }

  private List<Event> fraudEpisode(SplittableRandom random, CardProfile card, long t, long endMs) {
    List<Event> out = new ArrayList<>();
    // Drawn only when sweeps are asked for, so the default mix stays byte-identical for a seed.
    if (options.foreignTestingShare() > 0 && random.nextDouble() < options.foreignTestingShare()) {
      // Foreign card-testing sweep: a botnet tries the card at many merchants abroad at once, in every
      // product, each try small. Unlike the card testing below (up to 10 tries, one merchant, one product)
      // it reaches 12-24 transactions in a few minutes across countries and products.
      int n = 12 + random.nextInt(13);
      int firstProduct = random.nextInt(PRODUCTS.length);
      for (int i = 0; i < n; i++) {
        out.add(fraud(card, Math.min(endMs, t), 1 + random.nextDouble() * 14, PRODUCTS[(firstProduct + i) % PRODUCTS.length],
            otherCountry(random, card.home())));
        t += 3_000 + random.nextLong(17_000);
      }
      return out;
    }
    double pattern = random.nextDouble();
    if (pattern < 0.25) {
      // Card testing: tiny amounts, seconds apart, to check that the stolen card works.
      int n = 4 + random.nextInt(7);
      String merchant = random.nextDouble() < 0.5 ? otherCountry(random, card.home()) : card.home();
      String product = PRODUCTS[random.nextInt(PRODUCTS.length)];
      for (int i = 0; i < n; i++) {
        out.add(fraud(card, Math.min(endMs, t), 0.5 + random.nextDouble() * 4.5, product, merchant));
        t += 5_000 + random.nextLong(35_000);
      }
    } else if (pattern < 0.60) {
      // Cash-out: one or two purchases far above what the card usually spends.
      int n = 1 + random.nextInt(2);
      String merchant = random.nextDouble() < 0.6 ? otherCountry(random, card.home()) : card.home();
      for (int i = 0; i < n; i++) {
        out.add(fraud(card, Math.min(endMs, t), 1200 + random.nextDouble() * 4800, card.usualProduct(random), merchant));
        t += 20_000 + random.nextLong(100_000);
      }
    } else if (pattern < 0.75) {
      // Foreign spree: ordinary-looking amounts, all abroad, within a few minutes.
      int n = 2 + random.nextInt(3);
      String merchant = otherCountry(random, card.home());
      for (int i = 0; i < n; i++) {
        double amount = card.typicalAmount() * (1.5 + random.nextDouble() * 3);
        out.add(fraud(card, Math.min(endMs, t), amount, PRODUCTS[random.nextInt(PRODUCTS.length)], merchant));
        t += 30_000 + random.nextLong(60_000);
      }
    } else if (pattern < 0.90) {
      // Product hopping: many different categories in a few minutes.
      int n = 4 + random.nextInt(4);
      int first = random.nextInt(PRODUCTS.length);
      String merchant = random.nextDouble() < 0.3 ? otherCountry(random, card.home()) : card.home();
      for (int i = 0; i < n; i++) {
        double amount = card.typicalAmount() * (0.8 + random.nextDouble() * 4);
        out.add(fraud(card, Math.min(endMs, t), amount, PRODUCTS[(first + i) % PRODUCTS.length], merchant));
        t += 10_000 + random.nextLong(50_000);
      }
    } else {
      // Fraud that looks like the card's normal behaviour: no feature can catch it.
      double amount = card.typicalAmount() * Math.exp(0.55 * random.nextGaussian());
      out.add(fraud(card, t, amount, card.usualProduct(random), card.home()));
    }
    return out;
  }

  private static Event fraud(CardProfile card, long t, double amount, String product, String merchant) {
    return new Event(null, t, card.id(), cents(amount), product, card.home(), merchant, 1, false);
  }

  private static long rhythmTime(SplittableRandom random, long startMs, long spanMs) {
    long days = Math.max(1, (spanMs + 86_399_999) / 86_400_000);
    for (int attempt = 0; attempt < 8; attempt++) {
      long day = random.nextLong(days);
      int hour = weighted(random, HOUR_WEIGHTS);
      long t = startMs + day * 86_400_000L + hour * 3_600_000L + random.nextLong(3_600_000L);
      if (t < startMs + spanMs) {
        return t;
      }
    }
    return startMs + random.nextLong(spanMs);
  }

  static int weighted(SplittableRandom random, double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double x = random.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  static String otherCountry(SplittableRandom random, String home) {
    String c;
    do {
      c = COUNTRIES[random.nextInt(COUNTRIES.length)];
    } while (c.equals(home));
    return c;
  }

  private static double cents(double amount) {
    return Math.round(amount * 100) / 100.0;
  }

  static long mix(long seed, long salt) {
    long z = seed * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A card's stable habits, derived from the seed and the card number alone. */
  record CardProfile(String id, double typicalAmount, String home, String[] usualProducts) {
    static CardProfile of(long seed, int index) {
      SplittableRandom r = new SplittableRandom(mix(seed, 1_000_003L + index));
      double typical = Math.exp(3.4 + 0.8 * r.nextGaussian());
      String home = COUNTRIES[weighted(r, COUNTRY_WEIGHTS)];
      int n = 2 + r.nextInt(2);
      String[] usual = new String[n];
      int first = r.nextInt(PRODUCTS.length);
      for (int i = 0; i < n; i++) {
        usual[i] = PRODUCTS[(first + i * 3) % PRODUCTS.length];
      }
      return new CardProfile(String.format("card-%06d", index), Math.min(typical, 600), home, usual);
    }

    String usualProduct(SplittableRandom random) {
      return usualProducts[random.nextInt(usualProducts.length)];
    }
  }
}
