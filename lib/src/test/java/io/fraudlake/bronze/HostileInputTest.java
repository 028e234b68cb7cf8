package io.fraudlake.bronze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;

/**
 * Hostile landing files ({@link HostileLines}) through the real {@code bronze} job and the real live
 * pipeline ({@code run}), each on its own lakehouse of Delta tables: neither may fail, every line
 * read from landing must come out exactly once, in bronze or in quarantine, under its file, a
 * quarantined line with its raw text and a one-line reason, and the two must put the same lines in
 * the same table with the same values.
 *
 * <p>The seed is printed; {@code -Dfraudlake.fuzz.seed=N} replays a failure.
 */
class HostileInputTest {
  private static final long SEED = Long.getLong("fraudlake.fuzz.seed", 20_261_213L);
  private static final int FILES = 6;
  private static final int RECORDS_PER_FILE = 400;
  private static final int LONGEST_REASON = 200;
  private static final String BRONZE_VALUES = "TransactionID, event_timestamp, card_id, TransactionAmt, ProductCD, card_country,"
      + " merchant_country, isFraud, extra_fields";

  @Test
  void theTextSourceEndsALineAtLfCrLfOrCrAndDropsOnlyTheByteOrderMarkThatStartsAFile() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    byte[] bytes = bytes("\ufeffa\nb\r\nc\rd\n\n e\r\r\nf\u2028g\u0085h\u0000i\n\ufeffj\n\nk");
    Pipelines.land(lakehouse, "breaks.jsonl", bytes);
    Pipelines.bronzeOnce(lakehouse);

    List<String> raw = lakehouse.read(Tables.QUARANTINE).select("raw").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    List<String> expected = List.of("a", "b", "c", "d", "", " e", "", "f\u2028g\u0085h\u0000i", "\ufeffj", "", "k");
    assertEquals(sorted(expected), sorted(raw));
    assertEquals(expected.size(), TextLines.split(bytes).size(), "the test's own splitter agrees with the text source");
  }

  @Test
  void valuesNoParserShouldTrustAreQuarantinedWithAShortReasonNamingTheProblem() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    String event = "{\"TransactionID\":\"%s\",\"event_timestamp\":%s,\"card_id\":\"c\",\"TransactionAmt\":1.5,\"ProductCD\":\"W\"%s}";
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    for (String line : List.of(
        String.format(event, "epoch-huge", "99999999999999999999999", ""),
        String.format(event, "epoch-huge-negative", "-99999999999999999999999", ""),
        String.format(event, "line-break", "\"2024-03-10\\n10:00:00Z\"", ""),
        String.format(event, "fraud-huge", "\"2024-03-10T10:00:00Z\"", ",\"isFraud\":4102444800001"),
        String.format(event, "fraud-long", "\"2024-03-10T10:00:00Z\"", ",\"isFraud\":\"" + "f".repeat(100_000) + "\""),
        // The event is the first level: 99 more are allowed, 100 more are not.
        String.format(event, "deep-99", "\"2024-03-10T10:00:00Z\"", ",\"x\":" + "[".repeat(99) + "]".repeat(99)),
        String.format(event, "deep-100", "\"2024-03-10T10:00:00Z\"", ",\"x\":" + "[".repeat(100) + "]".repeat(100)),
        String.format(event, "brackets-in-strings", "\"2024-03-10T10:00:00Z\"", ",\"x\":\"" + "[{".repeat(200) + "\""))) {
      file.writeBytes(bytes(line + "\n"));
    }
    // A byte that is never UTF-8 inside the ID: apart from it, a clean event.
    file.writeBytes(bytes("{\"TransactionID\":\"not-utf8-"));
    file.write(0xFF);
    file.writeBytes(bytes("\",\"event_timestamp\":\"2024-03-10T10:00:00Z\",\"card_id\":\"c\",\"TransactionAmt\":1.5,\"ProductCD\":\"W\"}\n"));
    Pipelines.land(lakehouse, "hostile.jsonl", file.toByteArray());
    Pipelines.bronzeOnce(lakehouse);

    Map<String, String> reasons = lakehouse.read(Tables.QUARANTINE).collectAsList().stream()
        .collect(Collectors.toMap(r -> idOf(r.getAs("raw")), r -> r.getAs("reason")));
    assertEquals(Map.of(
        "epoch-huge", "event_timestamp more than one day after ingest time",
        "epoch-huge-negative", "event_timestamp before 2000-01-01",
        "line-break", "event_timestamp is not ISO-8601 with a zone: 2024-03-10?10:00:00Z",
        "fraud-huge", "isFraud must be 0 or 1, got 4102444800001",
        "fraud-long", "isFraud must be 0 or 1, got \"" + "f".repeat(39) + "...",
        "deep-100", "JSON nested deeper than 100 levels",
        "not-utf8-\ufffd", "not valid UTF-8"), reasons);
    assertEquals(List.of("brackets-in-strings", "deep-99"),
        sorted(lakehouse.read(Tables.BRONZE).select("TransactionID").as(org.apache.spark.sql.Encoders.STRING()).collectAsList()));
  }

  @Test
  void everyHostileLineLandsOnceInBronzeOrQuarantineAndTheLivePipelineAgrees() {
    System.out.println("HostileInputTest seed " + SEED + " (replay with -Dfraudlake.fuzz.seed=" + SEED + ")");
    List<HostileLines.LandingFile> files = HostileLines.generate(SEED, FILES, RECORDS_PER_FILE);
    Lakehouse bronze = SharedSpark.lakehouse(SharedSpark.freshConfig());
    Lakehouse live = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("scoring.alias-check-interval", "0s")));
    for (HostileLines.LandingFile file : files) {
      Pipelines.land(bronze, file.name(), file.bytes());
      Pipelines.land(live, file.name(), file.bytes());
    }

    BronzeStats stats = Pipelines.bronzeOnce(bronze);
    runLive(live);

    long lines = files.stream().mapToLong(f -> TextLines.split(f.bytes()).size()).sum();
    assertEquals(lines, stats.written() + stats.quarantined(), seeded("the bronze job's counts"));
    Landed byBronze = Landed.of(bronze);
    Landed byLive = Landed.of(live);
    for (HostileLines.LandingFile file : files) {
      assertEveryLineOnce("bronze", byBronze, file);
      assertEveryLineOnce("run", byLive, file);
    }
    assertEquals(byBronze.quarantineText(), byLive.quarantineText(), seeded("the live pipeline quarantines what bronze quarantines"));
    assertEquals(byBronze.bronzeText(), byLive.bronzeText(), seeded("the live pipeline ingests what bronze ingests"));
  }

  /**
   * The file's lines, as the text source splits them, are its bronze and quarantine rows: as many,
   * the quarantined ones verbatim; an intact event is in bronze, and a line that cannot be an event
   * is in quarantine (with bytes that are not UTF-8, under its own reason).
   */
  private static void assertEveryLineOnce(String job, Landed landed, HostileLines.LandingFile file) {
    String where = job + ", " + file.name();
    List<String> lines = TextLines.split(file.bytes()).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    List<Row> quarantined = landed.quarantine().getOrDefault(file.name(), List.of());
    List<String> ids = landed.bronze().getOrDefault(file.name(), List.of()).stream().map(r -> r.<String>getAs("TransactionID")).toList();
    assertEquals(lines.size(), quarantined.size() + ids.size(), seeded(where + ": bronze and quarantine rows for its lines"));

    // Bytes that are not UTF-8 reach quarantine as U+FFFD, one or more per bad sequence; every other
    // character of the line must be there as it was.
    Map<String, Integer> unmatched = new HashMap<>();
    lines.forEach(line -> unmatched.merge(withoutReplacement(line), 1, Integer::sum));
    for (Row row : quarantined) {
      String raw = row.getAs("raw");
      String reason = row.getAs("reason");
      assertNotNull(raw, seeded(where + ": quarantined without its raw line, for " + reason));
      assertNotNull(reason, seeded(where + ": quarantined without a reason: " + abbreviated(raw)));
      assertTrue(!reason.isBlank() && reason.length() <= LONGEST_REASON && reason.lines().count() == 1,
          seeded(where + ": a short one-line reason, got \"" + abbreviated(reason) + "\""));
      if (unmatched.merge(withoutReplacement(raw), -1, Integer::sum) < 0) {
        fail(seeded(where + ": quarantined a line that is not one of the file's: " + abbreviated(raw)));
      }
    }

    Set<String> quarantinedRaw = quarantined.stream().map(r -> r.<String>getAs("raw")).collect(Collectors.toSet());
    Set<String> notUtf8 = quarantined.stream().filter(r -> r.getAs("reason").equals("not valid UTF-8"))
        .map(r -> withoutReplacement(r.getAs("raw"))).collect(Collectors.toSet());
    for (HostileLines.Record record : file.records()) {
      String text = new String(record.bytes(), StandardCharsets.UTF_8);
      switch (record.expect()) {
        case BRONZE -> assertTrue(ids.contains(record.transactionId()),
            seeded(where + ": intact event " + record.transactionId() + " is in bronze"));
        case QUARANTINE -> {
          boolean found = record.kind().equals(HostileLines.INVALID_UTF8)
              ? notUtf8.contains(withoutReplacement(text))
              : quarantinedRaw.contains(text);
          assertTrue(found, seeded(where + ": " + record.kind() + " line is quarantined: " + abbreviated(text)));
        }
        case EITHER -> { }
      }
    }
  }

  /** A lakehouse's bronze and quarantine rows by landing file name, each read once. */
  private record Landed(Map<String, List<Row>> bronze, Map<String, List<Row>> quarantine) {
    static Landed of(Lakehouse lakehouse) {
      return new Landed(byFile(lakehouse, Tables.BRONZE, BRONZE_VALUES), byFile(lakehouse, Tables.QUARANTINE, "raw, reason"));
    }

    private static Map<String, List<Row>> byFile(Lakehouse lakehouse, String table, String columns) {
      List<String> select = new ArrayList<>(List.of(columns.split(", ")));
      select.add("regexp_extract(source_file, '[^/]+$', 0) AS file");
      select.add("to_json(struct(" + columns + ")) AS json");
      return lakehouse.read(table).selectExpr(select.toArray(String[]::new))
          .collectAsList().stream().collect(Collectors.groupingBy(r -> r.<String>getAs("file")));
    }

    /** Every row as its file and its values in JSON, sorted: equal for two lakehouses that hold the same lines. */
    List<String> bronzeText() {
      return text(bronze);
    }

    List<String> quarantineText() {
      return text(quarantine);
    }

    private static List<String> text(Map<String, List<Row>> rows) {
      return sorted(rows.values().stream().flatMap(List::stream).map(r -> r.getAs("file") + " " + r.getAs("json")).toList());
    }
  }

  private static void runLive(Lakehouse lakehouse) {
    Path modelDir = ScoringFixtures.saveModel(SharedSpark.session(), SharedSpark.tempDir("hostile-model"), 13);
    ProductionModel model = ProductionModel.load(ModelDirectorySource.of(modelDir, "fraud_isolation_forest"), Duration.ZERO);
    try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, ScoringStatus.silent(), Trigger.AvailableNow())) {
      pipeline.awaitTermination();
    }
  }

  private static String idOf(String raw) {
    java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"TransactionID\":\"([^\"]*)\"").matcher(raw);
    return id.find() ? id.group(1) : raw;
  }

  private static String withoutReplacement(String text) {
    return text.replace("\ufffd", "");
  }

  private static String abbreviated(String text) {
    String escaped = text.chars().limit(160).mapToObj(c -> c < 0x20 || c == 0xfffd ? String.format("\\u%04x", c) : String.valueOf((char) c))
        .collect(Collectors.joining());
    return text.length() > 160 ? escaped + "... (" + text.length() + " chars)" : escaped;
  }

  private static String seeded(String message) {
    return message + " [seed " + SEED + "]";
  }

  private static List<String> sorted(List<String> values) {
    List<String> copy = new ArrayList<>(values);
    copy.sort(null);
    return copy;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The lines Spark's text source reads from a file (Hadoop's line reader without a separator set):
   * a line ends at LF, CRLF or CR; a break that ends the file starts no further line; a UTF-8 byte
   * order mark is dropped at the start of the file, and nowhere else.
   */
  static final class TextLines {
    private TextLines() {}

    static List<byte[]> split(byte[] file) {
      List<byte[]> lines = new ArrayList<>();
      int start = file.length >= 3 && file[0] == (byte) 0xEF && file[1] == (byte) 0xBB && file[2] == (byte) 0xBF ? 3 : 0;
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      boolean open = false;
      for (int i = start; i < file.length; i++) {
        byte b = file[i];
        if (b == '\n' || b == '\r') {
          lines.add(line.toByteArray());
          line.reset();
          open = false;
          if (b == '\r' && i + 1 < file.length && file[i + 1] == '\n') {
            i++;
          }
        } else {
          line.write(b);
          open = true;
        }
      }
      if (open) {
        lines.add(line.toByteArray());
      }
      return lines;
    }
  }
}
