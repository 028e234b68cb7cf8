package io.fraudlake.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TransactionGeneratorTest {
  private static final Instant START = Instant.parse("2024-03-10T00:00:00Z");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<String> lines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir).sorted()) {
      for (Path f : files.toList()) {
        out.addAll(Files.readAllLines(f));
      }
    }
    return out;
  }

  @Test
  void theSameSeedWritesTheSameFilesAndAnotherSeedDoesNot() throws IOException {
    GeneratorOptions options = GeneratorOptions.of(5_000, START, 11);
    Path a = SharedSpark.tempDir("gen");
    Path b = SharedSpark.tempDir("gen");
    Path c = SharedSpark.tempDir("gen");
    new TransactionGenerator(options).writeTo(a, "run");
    new TransactionGenerator(options).writeTo(b, "run");
    new TransactionGenerator(GeneratorOptions.of(5_000, START, 12)).writeTo(c, "run");
    assertEquals(lines(a), lines(b));
    assertNotEquals(lines(a), lines(c));
    try (Stream<Path> files = Files.list(a)) {
      // Files are renamed into place: no hidden temporary file is left behind.
      assertTrue(files.allMatch(f -> f.getFileName().toString().matches("transactions-run-part-\\d{5}\\.jsonl")));
    }
  }

  @Test
  void publishedEventsAreTheFilesLinesInTheirOrderEachWithItsCard() throws IOException {
    GeneratorOptions options = GeneratorOptions.of(2_000, START, 11);
    Path dir = SharedSpark.tempDir("gen");
    TransactionGenerator.Result written = new TransactionGenerator(options).writeTo(dir, "run");
    List<String> keys = new ArrayList<>();
    List<String> published = new ArrayList<>();
    TransactionGenerator.Result sent = new TransactionGenerator(options).publish((key, line) -> {
      keys.add(key);
      published.add(line);
    });
    assertEquals(lines(dir), published);
    assertEquals(written.rows(), sent.rows());
    assertEquals(written.fraudRows(), sent.fraudRows());
    assertEquals(List.of(), sent.files());
    for (int i = 0; i < published.size(); i++) {
      assertEquals(JSON.readTree(published.get(i)).get("card_id").asText(), keys.get(i));
    }
  }

  @Test
  void rowsFollowTheRawEventContractWithTheAskedFraudRate() throws IOException {
    Path dir = SharedSpark.tempDir("gen");
    GeneratorOptions options = GeneratorOptions.of(20_000, START, 3).withFraudRate(0.05);
    TransactionGenerator.Result result = new TransactionGenerator(options).writeTo(dir, "run");
    List<String> lines = lines(dir);
    assertEquals(20_000, lines.size());
    assertEquals(20_000, result.rows());
    assertEquals(0.05, result.fraudRows() / 20_000.0, 0.001);

    Set<String> ids = new HashSet<>();
    long millis = 0;
    for (String line : lines) {
      JsonNode n = JSON.readTree(line);
      assertTrue(ids.add(n.get("TransactionID").asText()), "unique ids");
      assertTrue(n.get("TransactionAmt").isNumber() && n.get("TransactionAmt").asDouble() >= 0);
      assertTrue(n.get("isFraud").asInt() == 0 || n.get("isFraud").asInt() == 1);
      for (String f : List.of("card_id", "ProductCD", "card_country", "merchant_country")) {
        assertTrue(n.get(f).isTextual(), f);
      }
      JsonNode ts = n.get("event_timestamp");
      Instant t = ts.isNumber() ? Instant.ofEpochMilli(ts.asLong()) : Instant.parse(ts.asText());
      millis += ts.isNumber() ? 1 : 0;
      assertTrue(!t.isBefore(START) && t.isBefore(START.plus(options.span())), t.toString());
    }
    assertEquals(0.1, millis / 20_000.0, 0.02);
  }

  @Test
  void fraudShowsThePatternsButNoFeatureSeparatesItAlone() {
    GeneratorOptions options = GeneratorOptions.of(40_000, START, 5);
    TransactionGenerator generator = new TransactionGenerator(options);
    long[] legit = new long[4];
    long[] fraud = new long[4];
    Map<String, List<Long>> fraudTimesByCard = new HashMap<>();
    long fraudCount = 0;
    long legitCount = 0;
    for (int part = 0; part < options.files(); part++) {
      for (TransactionGenerator.Event e : generator.part(part, options.files())) {
        long[] counts = e.isFraud() == 1 ? fraud : legit;
        counts[0] += e.amount() < 5 ? 1 : 0;
        counts[1] += e.amount() > 1000 ? 1 : 0;
        counts[2] += e.cardCountry().equals(e.merchantCountry()) ? 0 : 1;
        counts[3]++;
        if (e.isFraud() == 1) {
          fraudCount++;
          fraudTimesByCard.computeIfAbsent(e.card(), k -> new ArrayList<>()).add(e.epochMillis());
        } else {
          legitCount++;
        }
      }
    }
    // Card testing (tiny amounts), cash-outs (high value) and foreign merchants are far more common
    // in fraud, yet legitimate rows have them too (travellers, big purchases).
    assertTrue(fraud[0] / (double) fraudCount > 0.25, "tiny amounts in fraud");
    assertTrue(fraud[1] / (double) fraudCount > 0.08, "high value in fraud");
    assertTrue(fraud[2] / (double) fraudCount > 0.35, "foreign in fraud");
    assertTrue(legit[1] > 0 && legit[1] / (double) legitCount < 0.03, "some legitimate big purchases");
    assertEquals(GeneratorOptions.DEFAULT_FOREIGN_RATE, legit[2] / (double) legitCount, 0.005);
    assertTrue(fraud[2] < fraudCount && fraud[1] < fraudCount, "some fraud looks normal");
    // Bursts: most fraud rows have another fraud row of the same card within 5 minutes.
    long inBurst = 0;
    for (List<Long> times : fraudTimesByCard.values()) {
      times.sort(Long::compare);
      for (int i = 0; i < times.size(); i++) {
        boolean near = (i > 0 && times.get(i) - times.get(i - 1) <= 300_000)
            || (i + 1 < times.size() && times.get(i + 1) - times.get(i) <= 300_000);
        inBurst += near ? 1 : 0;
      }
    }
    assertTrue(inBurst / (double) fraudCount > 0.6, "fraud comes in bursts: " + inBurst + "/" + fraudCount);
  }

  @Test
  void driftOptionsShiftAmountsAndTravel() {
    GeneratorOptions base = GeneratorOptions.of(10_000, START, 9).withFraudRate(0);
    GeneratorOptions drifted = base.withDrift(2.0, 0.3);
    assertEquals(2.0, meanAmount(drifted) / meanAmount(base), 0.05);
    long foreign = new TransactionGenerator(drifted).writeTo(SharedSpark.tempDir("gen"), "d").legitimateForeign();
    assertEquals(0.3, foreign / 10_000.0, 0.02);
  }

  @Test
  void foreignTestingSweepsAppearOnlyWhenAskedAndLeaveTheDefaultMixAsItWas() {
    GeneratorOptions base = GeneratorOptions.of(20_000, START, 5).withFiles(1);
    assertEquals(new TransactionGenerator(base).part(0, 1),
        new TransactionGenerator(base.withForeignTestingShare(0)).part(0, 1), "share 0 draws nothing extra");
    assertEquals(0, sweeps(base));
    assertTrue(sweeps(base.withForeignTestingShare(0.5)) >= 3, "sweeps with share 0.5");
  }

  @Test
  void aLaterBatchHasTheSameCardsButOtherTransactionsAndIds() {
    GeneratorOptions first = GeneratorOptions.of(5_000, START, 5).withFiles(1);
    List<TransactionGenerator.Event> batch0 = new TransactionGenerator(first).part(0, 1);
    List<TransactionGenerator.Event> batch3 = new TransactionGenerator(first.withBatch(3)).part(0, 1);
    Map<String, String> homes = new HashMap<>();
    batch0.forEach(e -> homes.put(e.card(), e.cardCountry()));
    batch3.forEach(e -> assertEquals(homes.getOrDefault(e.card(), e.cardCountry()), e.cardCountry(), e.card()));
    Set<String> ids = new HashSet<>();
    batch0.forEach(e -> ids.add(e.id()));
    assertTrue(batch3.stream().noneMatch(e -> ids.contains(e.id())), "no ID of batch 0 again in batch 3");
    assertNotEquals(batch0.stream().map(TransactionGenerator.Event::amount).toList(),
        batch3.stream().map(TransactionGenerator.Event::amount).toList());
  }

  /** Fraud bursts of 12 or more transactions of one card within 5 minutes, all abroad and small. */
  private static long sweeps(GeneratorOptions options) {
    Map<String, List<TransactionGenerator.Event>> fraudByCard = new HashMap<>();
    for (TransactionGenerator.Event e : new TransactionGenerator(options).part(0, 1)) {
      if (e.isFraud() == 1 && !e.cardCountry().equals(e.merchantCountry()) && e.amount() <= 15) {
        fraudByCard.computeIfAbsent(e.card(), c -> new ArrayList<>()).add(e);
      }
    }
    long sweeps = 0;
    for (List<TransactionGenerator.Event> events : fraudByCard.values()) {
      for (int i = 0; i + 11 < events.size(); i++) {
        if (events.get(i + 11).epochMillis() - events.get(i).epochMillis() <= 300_000) {
          sweeps++;
          i += 11;
        }
      }
    }
    return sweeps;
  }

  @Test
  void invalidOptionsAreRejectedWithTheOptionName() {
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> GeneratorOptions.of(-5, START, 1));
    assertEquals("--rows must be positive, got -5", e.getMessage());
    assertThrows(FraudLakeException.class, () -> GeneratorOptions.of(10, START, 1).withFraudRate(1.5));
  }

  private static double meanAmount(GeneratorOptions options) {
    TransactionGenerator g = new TransactionGenerator(options);
    double sum = 0;
    long n = 0;
    for (int part = 0; part < options.files(); part++) {
      for (TransactionGenerator.Event e : g.part(part, options.files())) {
        sum += e.amount();
        n++;
      }
    }
    return sum / n;
  }
}
