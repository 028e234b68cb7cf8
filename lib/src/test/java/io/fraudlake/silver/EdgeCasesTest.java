package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hand-written edge cases (src/test/resources/edge-cases): expected bronze, quarantine and
 * silver rows are derived by hand from the feature definitions in the README, not from the code's output.
 */
class EdgeCasesTest {
  private static Lakehouse lakehouse;
  private static BronzeStats firstBronze;
  private static BronzeStats secondBronze;
  private static io.fraudlake.silver.SilverStats firstSilver;
  private static io.fraudlake.silver.SilverStats secondSilver;

  @BeforeAll
  static void runPipelineInTwoBatches() {
    lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    Pipelines.landResource(lakehouse, "/edge-cases/batch-1.jsonl");
    firstBronze = Pipelines.bronzeOnce(lakehouse);
    firstSilver = Pipelines.silverOnce(lakehouse);
    Pipelines.landResource(lakehouse, "/edge-cases/batch-2.jsonl");
    secondBronze = Pipelines.bronzeOnce(lakehouse);
    secondSilver = Pipelines.silverOnce(lakehouse);
  }

  @Test
  void everyBadLineIsQuarantinedWithItsSpecificReason() {
    Map<String, String> expected = new TreeMap<>();
    expected.put("not json at all", "not valid JSON");
    expected.put("[1, 2, 3]", "not a JSON object");
    expected.put("X01", "missing required field card_id");
    expected.put("X02", "wrong type for TransactionAmt: expected number, got string");
    expected.put("X03", "TransactionAmt is negative");
    expected.put("X04", "TransactionAmt is infinite");
    expected.put("X05", "TransactionAmt is NaN");
    expected.put("X06", "event_timestamp before 2000-01-01");
    expected.put("X07", "event_timestamp more than one day after ingest time");
    expected.put("X08", "event_timestamp is not ISO-8601 with a zone: 2024-03-10 10:00:00");
    expected.put("X09", "wrong type for event_timestamp: expected ISO-8601 string or integer epoch milliseconds, got boolean");
    expected.put("X10", "isFraud must be 0 or 1, got 2");
    expected.put("", "empty line");
    expected.put("X11", "wrong type for card_country: expected string, got number");
    expected.put("\"\"", "empty required field TransactionID");
    expected.put("X13", "event_timestamp before 2000-01-01");
    expected.put("X14", "missing required field card_id");
    expected.put("X15", "not valid JSON");

    Map<String, String> actual = new TreeMap<>();
    for (Row r : lakehouse.read(Tables.QUARANTINE).collectAsList()) {
      String raw = r.getString(0);
      String key = raw.startsWith("{\"TransactionID\":") ? raw.substring(17, raw.indexOf(',')).replace("\"", "") : raw;
      if (key.isEmpty() && raw.startsWith("{")) {
        key = "\"\"";
      }
      actual.put(key, r.getString(1));
      assertEquals(true, r.getString(2).endsWith("batch-1.jsonl"), "source_file " + r.getString(2));
      assertEquals(false, r.isNullAt(3));
    }
    assertEquals(expected, actual);
    assertEquals(18, firstBronze.quarantined());
    assertEquals(2L, firstBronze.reasons().get("missing required field card_id"));
  }

  @Test
  void goodLinesAreTypedInBronzeAndCountsReconcile() {
    assertEquals(13, firstBronze.written());
    assertEquals(2, secondBronze.written());
    assertEquals(0, secondBronze.quarantined());
    long lines = 31 + 2;
    assertEquals(lines, lakehouse.read(Tables.BRONZE).count() + lakehouse.read(Tables.QUARANTINE).count());

    Map<String, Row> byId = new HashMap<>();
    lakehouse.read(Tables.BRONZE).filter("TransactionID <> 'A1' AND TransactionID <> 'B3'").collectAsList()
        .forEach(r -> byId.put(r.getAs("TransactionID"), r));
    // A zone offset and epoch milliseconds both become the same instant.
    assertEquals(ts("2024-03-10T10:00:00Z"), byId.get("A2").getAs("event_timestamp"));
    assertEquals(ts("2024-03-10T10:05:00Z"), byId.get("A3").getAs("event_timestamp"));
    assertEquals(ts("2024-03-10T10:05:00.001Z"), byId.get("A4").getAs("event_timestamp"));
    assertEquals(20.0, (Double) byId.get("A2").getAs("TransactionAmt"));
    assertEquals("{\"channel\":\"web\"}", byId.get("A4").getAs("extra_fields"));
    assertNull(byId.get("A3").getAs("extra_fields"));
    assertNull(byId.get("C2").getAs("isFraud"));
    assertNull(byId.get("C2").getAs("card_country"));
    assertNull(byId.get("C3").getAs("merchant_country"));
    assertEquals(1, (Integer) byId.get("B1").getAs("isFraud"));
    assertEquals(0.0, (Double) byId.get("C3").getAs("TransactionAmt"));
  }

  @Test
  void rerunningBronzeOnTheSameFilesAddsNothing() {
    long before = lakehouse.read(Tables.BRONZE).count() + lakehouse.read(Tables.QUARANTINE).count();
    BronzeStats again = Pipelines.bronzeOnce(lakehouse);
    assertEquals(0, again.written() + again.quarantined());
    assertEquals(before, lakehouse.read(Tables.BRONZE).count() + lakehouse.read(Tables.QUARANTINE).count());
  }

  /** id → {count, avg, stddev, diversity, high value, international}, from the definition. */
  private static Map<String, double[]> expectedFeatures() {
    Map<String, double[]> f = new HashMap<>();
    // A1 and A2 share a timestamp: each is in the other's window.
    f.put("A1", new double[] {2, 15, Math.sqrt(50), 2, 0, 0});
    f.put("A2", new double[] {2, 15, Math.sqrt(50), 2, 0, 0});
    // A3 is exactly 300 s after A1/A2: they are included.
    f.put("A3", new double[] {3, 20, 10, 2, 0, 0});
    // A4 is 300.001 s after A1/A2: they are excluded.
    f.put("A4", new double[] {2, 35, Math.sqrt(50), 2, 0, 0});
    // The burst: 1, 2, 3, 4, 5 ten seconds apart, GB card at a FR merchant.
    f.put("B1", new double[] {1, 1, 0, 1, 0, 1});
    f.put("B2", new double[] {2, 1.5, Math.sqrt(0.5), 1, 0, 1});
    f.put("B3", new double[] {3, 2, 1, 1, 0, 1});
    f.put("B4", new double[] {4, 2.5, Math.sqrt(5.0 / 3), 1, 0, 1});
    f.put("B5", new double[] {5, 3, Math.sqrt(2.5), 1, 0, 1});
    // Unknown card country, then no countries at all, then no merchant country: never international.
    f.put("C1", new double[] {1, 1500, 0, 1, 1, 0});
    f.put("C2", new double[] {2, 1250, Math.sqrt(125000), 1, 0, 0});
    double mean = 2500.0 / 3;
    double var = (Math.pow(1500 - mean, 2) + Math.pow(1000 - mean, 2) + Math.pow(mean, 2)) / 2;
    f.put("C3", new double[] {3, mean, Math.sqrt(var), 2, 0, 0});
    f.put("D1", new double[] {1, 7.5, 0, 1, 0, 1});
    return f;
  }

  private static final Map<String, Double> AMOUNTS = Map.ofEntries(
      Map.entry("A1", 10.0), Map.entry("A2", 20.0), Map.entry("A3", 30.0), Map.entry("A4", 40.0),
      Map.entry("B1", 1.0), Map.entry("B2", 2.0), Map.entry("B3", 3.0), Map.entry("B4", 4.0), Map.entry("B5", 5.0),
      Map.entry("C1", 1500.0), Map.entry("C2", 1000.0), Map.entry("C3", 0.0), Map.entry("D1", 7.5));

  private static void assertFeatures(List<Row> rows, Map<String, Boolean> expectedLate) {
    Map<String, double[]> expected = expectedFeatures();
    assertEquals(expectedLate.keySet(), rows.stream().map(r -> r.<String>getAs("TransactionID")).collect(Collectors.toSet()));
    for (Row r : rows) {
      String id = r.getAs("TransactionID");
      double[] e = expected.get(id);
      assertEquals((long) e[0], (Long) r.getAs("txn_count_5min"), id);
      assertEquals(e[1], r.<Double>getAs("avg_amount_5min"), 1e-9, id);
      assertEquals(e[2], r.<Double>getAs("stddev_amount_5min"), 1e-9, id);
      assertEquals((long) e[3], (Long) r.getAs("product_diversity_5min"), id);
      assertEquals((int) e[4], (Integer) r.getAs("is_high_value_txn"), id);
      assertEquals((int) e[5], (Integer) r.getAs("is_international_txn"), id);
      assertEquals(Math.log(1 + AMOUNTS.get(id)), r.<Double>getAs("log_transaction_amount"), 1e-12, id);
      assertEquals(expectedLate.get(id), r.getAs("arrived_late"), id);
    }
  }

  @Test
  void streamWritesEachTransactionOnceWithExactFeaturesAndKeepsTheTailPending() {
    Map<String, Boolean> late = new TreeMap<>();
    for (String id : List.of("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3")) {
      late.put(id, false);
    }
    // D1 (10:10) arrives after the watermark reached 11:00:38: written at once, flagged late.
    late.put("D1", true);
    assertFeatures(lakehouse.read(Tables.SILVER).collectAsList(), late);
    // B5 is the newest event: within the lateness of itself, it waits for the watermark.
    assertEquals(11, firstSilver.written());
    assertEquals(1, firstSilver.duplicates());
    assertEquals(1, firstSilver.waiting());
    assertEquals(1, secondSilver.written());
    assertEquals(1, secondSilver.duplicates());
    assertEquals(1, secondSilver.late());
    assertEquals(1, secondSilver.waiting());
  }

  @Test
  void batchComputesEveryTransactionExactlyOnce() {
    Lakehouse batchHouse = SharedSpark.lakehouse(lakehouse.config());
    SilverJob job = new SilverJob(batchHouse);
    job.runBatch("silver_edge_batch");
    Map<String, Boolean> late = new TreeMap<>();
    expectedFeatures().keySet().forEach(id -> late.put(id, false));
    assertFeatures(batchHouse.read("silver_edge_batch").collectAsList(), late);
  }

  private static Timestamp ts(String iso) {
    return Timestamp.from(Instant.parse(iso));
  }
}
