package io.fraudlake.bronze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.spark.BatchValues;
import io.fraudlake.testing.SharedSpark;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The parser's clean path ({@link CleanEventParser}) against its general path (the VARIANT and its
 * checks) on the same lines: every output column of every line must agree, for clean events, for
 * lines one mutation away from clean, and for random damage; and the clean path must actually take
 * the clean lines.
 */
class CleanPathTest {
  private static final String BASE = "{\"TransactionID\":\"T-1\",\"event_timestamp\":\"2024-03-10T10:00:00.123Z\","
      + "\"card_id\":\"card-7\",\"TransactionAmt\":12.5,\"ProductCD\":\"W\",\"card_country\":\"US\","
      + "\"merchant_country\":\"FR\",\"isFraud\":0}";

  private static final List<String> CLEAN = List.of(
      BASE,
      "{\"TransactionID\":\"T-2\",\"event_timestamp\":1710064800000,\"card_id\":\"c\",\"TransactionAmt\":0,\"ProductCD\":\"H\"}",
      "  { \"ProductCD\" : \"C\" , \"TransactionAmt\" : 1999.99 , \"card_id\" : \" c \" , \"event_timestamp\" :"
          + " \"2024-03-10T11:00:00+02:00\" , \"TransactionID\" : \"T-3\", \"isFraud\": 1 }  ",
      "{\"TransactionID\":\"T-4\",\"event_timestamp\":\"2000-01-01T00:00:00Z\",\"card_id\":\"c\",\"TransactionAmt\":100,"
          + "\"ProductCD\":\"R\",\"card_country\":null,\"merchant_country\":null,\"isFraud\":null}",
      "{\"TransactionID\":\"T\\u00e9\\n5\",\"event_timestamp\":\"2024-02-29T23:59:59.999999-05:30\",\"card_id\":\"\u00fc\","
          + "\"TransactionAmt\":123456789012.345,\"ProductCD\":\"S\"}",
      "{\"TransactionID\":\"T-6\",\"event_timestamp\":4102444800000,\"card_id\":\"c\",\"TransactionAmt\":0.1,\"ProductCD\":\"W\"}",
      // Spark's trim removes spaces only: a tab is an identifier, an empty country is still a string.
      BASE.replace("\"T-1\"", "\"\\t\"").replace("\"US\"", "\"\""),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-12-31T23:59:59.5+14:00"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T00:00:00-00:30"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T12:00:00-05:00"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T12:00:00.000001+18:00"),
      // Far in the future is clean: the rule against it needs the ingest time and applies after either path.
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2999-01-01T00:00:00Z\""));

  private static final List<String> GENERAL = List.of(
      "",
      "   ",
      "not json",
      "[1,2]",
      "{}",
      BASE + " {}",
      BASE.replace("\"isFraud\":0", "\"isFraud\":0,\"channel\":\"web\""),
      BASE.replace("\"isFraud\":0", "\"isFraud\":0,\"card_id\":\"other\""),
      BASE.replace("12.5", "-12.5"),
      BASE.replace("12.5", "-0"),
      BASE.replace("12.5", "1.25e1"),
      BASE.replace("12.5", "1234567890123456"),
      BASE.replace("12.5", "\"12.5\""),
      BASE.replace("12.5", "null"),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2024-03-10T10:00Z\""),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2024-03-10 10:00:00Z\""),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2024-03-10T10:00:00.123456789Z\""),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2024-02-30T10:00:00Z\""),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"1999-12-31T23:59:59Z\""),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T12:00:00+18:30"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T12:00:00+05:75"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T24:00:00Z"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2024-06-01T12:00:60Z"),
      BASE.replace("2024-03-10T10:00:00.123Z", "2023-02-29T12:00:00Z"),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "\"2024-03-10T10:00:00\""),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "946684799999"),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "4102444800001"),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "1710064800000.0"),
      BASE.replace("\"2024-03-10T10:00:00.123Z\"", "true"),
      BASE.replace("\"T-1\"", "\"  \""),
      BASE.replace("\"T-1\"", "7"),
      BASE.replace("\"T-1\"", "\"\\ud800\""),
      BASE.replace("\"US\"", "1"),
      BASE.replace("\"isFraud\":0", "\"isFraud\":2"),
      BASE.replace("\"isFraud\":0", "\"isFraud\":1.0"),
      BASE.replace("\"isFraud\":0", "\"isFraud\":true"),
      BASE.replace("\"card_id\":\"card-7\",", ""),
      BASE.replace("\"card_id\":\"card-7\"", "\"card_id\":null"),
      BASE.replace("\"ProductCD\":\"W\"", "\"ProductCD\":{\"a\":1}"),
      BASE.replace("\"ProductCD\":\"W\"", "\"productcd\":\"W\""),
      BASE.replace("12.5", "NaN"),
      BASE.replace("12.5", "Infinity"),
      BASE.substring(0, BASE.length() - 1));

  @Test
  void cleanLinesAreReadInOnePassAndTheOthersAreLeftToTheGeneralPath() {
    for (String line : CLEAN) {
      assertNotNull(CleanEventParser.parse(line), line);
    }
    for (String line : GENERAL) {
      assertNull(CleanEventParser.parse(line), line);
    }
    CleanEventParser.Event event = CleanEventParser.parse(CLEAN.get(4));
    assertEquals("T\u00e9\n5", event.transactionId());
    assertEquals(123456789012.345, event.amount());
    assertNull(event.isFraud());
  }

  @Test
  void bothPathsGiveEveryLineTheSameRow() {
    List<String> lines = new ArrayList<>(CLEAN);
    lines.addAll(GENERAL);
    assertSamePaths(lines, new Timestamp(1_710_064_800_000L));
  }

  @Test
  void bothPathsAgreeOnRandomlyDamagedEvents() {
    Random random = new Random(20261206);
    List<String> lines = new ArrayList<>();
    String alphabet = "{}[],:\"\\ -.0123456789eEtrunlfaTZ";
    for (String base : CLEAN) {
      for (int i = 0; i < 150; i++) {
        StringBuilder line = new StringBuilder(base);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && line.length() > 0; e++) {
          int at = random.nextInt(line.length());
          char c = line.charAt(at);
          switch (random.nextInt(4)) {
            // The same kind of character: often still clean, with other values.
            case 0 -> line.setCharAt(at, Character.isDigit(c) ? (char) ('0' + random.nextInt(10))
                : Character.isLetter(c) ? (char) ('a' + random.nextInt(26)) : c);
            case 1 -> line.deleteCharAt(at);
            case 2 -> line.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
            default -> line.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
          }
        }
        lines.add(line.toString());
      }
    }
    long clean = lines.stream().filter(line -> CleanEventParser.parse(line) != null).count();
    // Many single edits leave an event clean (a digit for a digit); the rest exercise the general path.
    assertTrue(clean > 50 && clean < lines.size() - 50, "clean lines: " + clean);
    assertSamePaths(lines, new Timestamp(1_710_064_800_000L));
  }

  @Test
  void theFutureRuleStillAppliesToCleanEventsAndUnstampedLinesAreLeftForLater() {
    // Two days before 2000-01-01: every clean event is more than a day ahead of it.
    Timestamp ingest = new Timestamp(946_684_800_000L - 2 * 86_400_000L);
    assertSamePaths(CLEAN, ingest);
    SparkSession spark = SharedSpark.session();
    Dataset<Row> parsed = BronzeParser.parse(lines(spark, CLEAN), BatchValues.timestamp(ingest), true);
    assertEquals(CLEAN.size(), parsed.filter("reason = '" + BronzeParser.FUTURE_REASON + "'").count());
    Dataset<Row> unstamped = BronzeParser.parseUnstamped(lines(spark, CLEAN));
    assertEquals(CLEAN.size(), unstamped.filter("reason IS NULL").count());
  }

  private static void assertSamePaths(List<String> lines, Timestamp ingestedAt) {
    SparkSession spark = SharedSpark.session();
    Dataset<Row> input = lines(spark, lines);
    List<String> clean = render(BronzeParser.parse(input, BatchValues.timestamp(ingestedAt), true));
    List<String> general = render(BronzeParser.parse(input, BatchValues.timestamp(ingestedAt), false));
    assertEquals(lines.size(), general.size());
    for (int i = 0; i < general.size(); i++) {
      assertEquals(general.get(i), clean.get(i));
    }
  }

  private static Dataset<Row> lines(SparkSession spark, List<String> lines) {
    return spark.createDataset(lines, Encoders.STRING()).toDF("value")
        .withColumn("source_file", org.apache.spark.sql.functions.lit("file:/landing/x.jsonl"));
  }

  private static List<String> render(Dataset<Row> parsed) {
    return parsed.collectAsList().stream().map(Row::toString).sorted().collect(Collectors.toList());
  }
}
