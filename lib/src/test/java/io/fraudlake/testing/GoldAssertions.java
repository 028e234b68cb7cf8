package io.fraudlake.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The exactly-once contract between silver and gold, and gold's alerts on Kafka, as the scoring tests check them. */
public final class GoldAssertions {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GoldAssertions() {}

  /** Gold holds one scored row per silver row: none lost, none doubled, none without a score. */
  public static void assertExactlyOneGoldRowPerSilverRow(Lakehouse lakehouse) {
    Dataset<Row> silver = lakehouse.read(Tables.SILVER);
    Dataset<Row> gold = lakehouse.read(Tables.GOLD);
    assertEquals(silver.count(), gold.count(), "one gold row per silver row");
    assertEquals(gold.count(), gold.select("TransactionID").distinct().count(), "no transaction twice");
    assertEquals(0, silver.select("TransactionID").except(gold.select("TransactionID")).count(), "none lost");
    assertEquals(0, gold.where("fraud_score IS NULL OR is_anomaly IS NULL OR model_version IS NULL").count(),
        "every row scored");
    assertEquals(0, gold.where("fraud_score <= 0 OR fraud_score > 1").count(), "scores in (0, 1]");
  }

  /**
   * Every gold row with {@code is_anomaly} came out as one alert or more (at least once) keyed by its
   * card, with its score and model version, and no alert is for anything else; returns how many
   * anomalies gold holds (so a caller can insist there were some).
   */
  public static int assertAlertsAreGoldsAnomalies(Lakehouse lakehouse, List<ConsumerRecord<String, String>> alerts) {
    Map<String, Row> anomalies = new TreeMap<>();
    for (Row r : lakehouse.read(Tables.GOLD).where("is_anomaly")
        .select("TransactionID", "card_id", "fraud_score", "model_version").collectAsList()) {
      anomalies.put(r.getString(0), r);
    }
    Set<String> alerted = new TreeSet<>();
    for (ConsumerRecord<String, String> record : alerts) {
      JsonNode alert;
      try {
        alert = JSON.readTree(record.value());
      } catch (JsonProcessingException e) {
        throw new AssertionError("an alert that is not JSON: " + record.value(), e);
      }
      Row gold = anomalies.get(alert.path("TransactionID").asText());
      assertTrue(gold != null, "an alert for a gold anomaly: " + record.value());
      assertEquals(gold.getString(1), record.key(), "keyed by card_id");
      assertEquals(gold.getDouble(2), alert.get("fraud_score").asDouble(), 0.0);
      assertEquals(gold.getString(3), alert.get("model_version").asText());
      assertTrue(alert.get("is_anomaly").asBoolean(), record.value());
      alerted.add(alert.get("TransactionID").asText());
    }
    assertEquals(anomalies.keySet(), alerted, "every anomaly in gold alerted");
    return anomalies.size();
  }
}
