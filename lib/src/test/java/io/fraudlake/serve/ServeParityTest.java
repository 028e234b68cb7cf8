package io.fraudlake.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fraudlake.bronze.CleanEventParser;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.scoring.ModelDirectorySource;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringFixtures;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The service against the pipeline: a generated stream, landed and run through bronze, silver and
 * gold, and the same events sent to {@code serve} in event-time order, give the same features (to the
 * last bit) and the same scores.
 */
class ServeParityTest {
  private static final String[] FEATURES = {"TransactionAmt", "log_transaction_amount", "is_high_value_txn",
      "is_international_txn", "txn_count_5min", "avg_amount_5min", "stddev_amount_5min", "product_diversity_5min"};

  @Test
  void servedFeaturesAndScoresEqualSilverAndGold() throws IOException {
    FraudLakeConfig config = SharedSpark.freshConfig();
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    // Few cards over two hours: most windows hold several transactions, some several products.
    GeneratorOptions options = GeneratorOptions.of(3_000, Instant.now().minus(Duration.ofHours(3)), 11)
        .withCards(25).withSpan(Duration.ofHours(2)).withFiles(3);
    new TransactionGenerator(options).writeTo(config.landingDir(), "parity");
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(config.landingDir())) {
      for (Path file : files.sorted().toList()) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    // Every 40th event is sent again right after, as a payment network re-sends on a timeout.
    List<String> resent = new ArrayList<>();
    for (int i = 0; i < lines.size(); i += 40) {
      resent.add(lines.get(i));
    }
    Pipelines.land(lakehouse, "resent.json", resent);
    Pipelines.bronzeOnce(lakehouse);
    new SilverJob(lakehouse).runBatch(Tables.SILVER);
    Path model = ScoringFixtures.saveMlflowModel(SharedSpark.session(), SharedSpark.tempDir("serve-parity").resolve("model"), 7);
    ProductionModel production = ProductionModel.load(ModelDirectorySource.of(model, "fraud_isolation_forest"), Duration.ZERO);
    ScoringStatus status = ScoringStatus.silent();
    ScoringStream.await(new ScoringStream(lakehouse, production, status).start(true), status);

    Map<String, JsonNode> answers = new HashMap<>();
    int duplicates = 0;
    try (ServeServer server = ServeServer.start(ServeSettings.from(config, "127.0.0.1", 0),
        ModelDirectorySource.of(model, "fraud_isolation_forest"))) {
      ServeClient client = new ServeClient(server.url());
      // Events of one instant go in one request, as silver sees same-timestamp events together.
      List<String> request = new ArrayList<>();
      long requestMicros = Long.MIN_VALUE;
      for (int i = 0; i <= lines.size(); i++) {
        long micros = i < lines.size() ? CleanEventParser.parse(lines.get(i)).eventMicros() : Long.MAX_VALUE;
        if (micros != requestMicros && !request.isEmpty()) {
          ServeClient.Reply reply = client.post("/transactions", "[" + String.join(",", request) + "]");
          assertEquals(200, reply.status(), reply.body());
          for (JsonNode answer : reply.json()) {
            if (answer.get("duplicate").asBoolean()) {
              duplicates++;
              assertEquals(withoutRequestFields(answers.get(answer.get("TransactionID").asText())),
                  withoutRequestFields(answer), "first answer again");
            } else {
              answers.put(answer.get("TransactionID").asText(), answer);
            }
          }
          request.clear();
        }
        if (i < lines.size()) {
          request.add(lines.get(i));
          if (i % 40 == 0) {
            request.add(lines.get(i));
          }
          requestMicros = micros;
        }
      }
    }
    assertEquals(resent.size(), duplicates, "each re-sent event answered as a duplicate");

    List<Row> silver = lakehouse.read(Tables.SILVER).collectAsList();
    assertEquals(lines.size(), silver.size());
    assertEquals(lines.size(), answers.size());
    long multiEventWindows = 0;
    for (Row row : silver) {
      JsonNode answer = answers.get(row.<String>getAs("TransactionID"));
      for (String feature : FEATURES) {
        Number expected = row.getAs(feature);
        if (expected instanceof Double d) {
          assertEquals(Double.doubleToLongBits(d), Double.doubleToLongBits(answer.get(feature).doubleValue()),
              feature + " of " + row.getAs("TransactionID") + ": silver " + d + ", serve " + answer.get(feature));
        } else {
          assertEquals(expected.longValue(), answer.get(feature).longValue(), feature + " of " + row.getAs("TransactionID"));
        }
      }
      assertFalse(answer.get("arrived_late").asBoolean());
      multiEventWindows += row.<Long>getAs("txn_count_5min") > 1 ? 1 : 0;
    }
    assertTrue(multiEventWindows > lines.size() / 2, "most windows hold several events: " + multiEventWindows);

    List<Row> gold = lakehouse.read(Tables.GOLD).collectAsList();
    assertEquals(lines.size(), gold.size());
    long anomalies = 0;
    for (Row row : gold) {
      JsonNode answer = answers.get(row.<String>getAs("TransactionID"));
      assertEquals(row.<Double>getAs("fraud_score"), answer.get("fraud_score").doubleValue(), 1e-12);
      assertEquals(row.<Boolean>getAs("is_anomaly"), answer.get("is_anomaly").asBoolean());
      assertEquals(row.<String>getAs("model_version"), answer.get("model_version").asText());
      anomalies += row.<Boolean>getAs("is_anomaly") ? 1 : 0;
    }
    assertTrue(anomalies > 0 && anomalies < gold.size(), "both outcomes are compared: " + anomalies);
  }

  /** The answer without what belongs to the request that carried it (duplicate or not, time taken). */
  private static JsonNode withoutRequestFields(JsonNode answer) {
    com.fasterxml.jackson.databind.node.ObjectNode copy = answer.deepCopy();
    copy.remove("duplicate");
    copy.remove("server_time_us");
    return copy;
  }
}
