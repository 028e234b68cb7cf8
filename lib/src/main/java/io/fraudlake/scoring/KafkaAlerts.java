package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.util.Map;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Gold's anomalies published to a Kafka topic ({@code alerts.kafka.topic}) for case management: one
 * JSON record per row with {@code is_anomaly = true}, keyed by card. Kafka's sink is at least once:
 * a micro-batch re-run after a failure publishes its alerts again, so consumers deduplicate on
 * {@code TransactionID}.
 */
public final class KafkaAlerts {
  private KafkaAlerts() {}

  public static boolean enabled(FraudLakeConfig config) {
    return !config.string("alerts.kafka.topic").trim().isEmpty();
  }

  /** Publishes {@code gold}'s anomalies (a batch of gold rows) when a topic is configured. */
  public static void publish(FraudLakeConfig config, Dataset<Row> gold) {
    if (!enabled(config)) {
      return;
    }
    String servers = config.string("alerts.kafka.bootstrap-servers").trim();
    if (servers.isEmpty()) {
      servers = config.string("source.kafka.bootstrap-servers").trim();
    }
    if (servers.isEmpty()) {
      throw new FraudLakeException("fraudlake.alerts.kafka.topic is set but no Kafka servers are: set "
          + "fraudlake.alerts.kafka.bootstrap-servers or fraudlake.source.kafka.bootstrap-servers");
    }
    Dataset<Row> alerts = gold.filter(col(GoldSchema.IS_ANOMALY))
        .select(col(GoldSchema.CARD_ID).as("key"),
            to_json(struct(col(GoldSchema.TRANSACTION_ID), col(GoldSchema.CARD_ID), col(GoldSchema.EVENT_TIMESTAMP),
                col(GoldSchema.AMOUNT), col(GoldSchema.SCORE), col(GoldSchema.IS_ANOMALY), col(GoldSchema.MODEL_NAME),
                col(GoldSchema.MODEL_VERSION), col(GoldSchema.SCORED_AT))).as("value"));
    DataFrameWriter<Row> writer = alerts.write().format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", config.string("alerts.kafka.topic").trim());
    for (Map.Entry<String, String> option : config.stringMap("source.kafka.options").entrySet()) {
      if (option.getKey().startsWith("kafka.") && !option.getKey().equals("kafka.bootstrap.servers")) {
        writer = writer.option(option.getKey(), option.getValue());
      }
    }
    writer.save();
  }
}
