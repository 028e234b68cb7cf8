package io.fraudlake.bronze;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;

/**
 * A Kafka topic as a stream of landing lines ({@code source.kind = kafka}): each record's value is one
 * line, and its {@code source_file} is {@code kafka://<topic>/<partition>/<offset>}, so a bronze or
 * quarantine row leads back to the record it came from. The offsets read are kept in the query's
 * checkpoint, as the files read are for the landing folder.
 */
public final class KafkaLines {
  /** The source column's prefix for a Kafka record. */
  public static final String SCHEME = "kafka://";

  /**
   * Client options whose values are secrets (SASL's JAAS line, SSL passwords, tokens): Spark masks
   * these in the source's part of a plan. Its v1 fallback relation in the same plan is printed
   * unmasked, which is why the reference configuration steers secrets to Kafka's config providers.
   */
  static final String REDACTED_OPTIONS = "(?i)url|jaas|password|secret|token|credential";

  private KafkaLines() {}

  /** The configured topic as raw lines with their record's coordinates in {@code source_file}. */
  public static Dataset<Row> lines(SparkSession spark, FraudLakeConfig config) {
    Map<String, String> options = options(config);
    String current = spark.conf().get("spark.sql.redaction.options.regex", "(?i)url");
    if (!current.contains("jaas")) {
      spark.conf().set("spark.sql.redaction.options.regex", REDACTED_OPTIONS);
    }
    DataStreamReader reader = spark.readStream().format("kafka");
    options.forEach(reader::option);
    return reader.load()
        .select(col("value").cast("string").as("value"),
            concat(lit(SCHEME), col("topic"), lit("/"), col("partition").cast("string"), lit("/"), col("offset").cast("string"))
                .as("source_file"));
  }

  /**
   * Whether {@code failure} is Spark 4.1's Kafka source failing in its progress metrics (SPARK-55271):
   * it does so in the first micro-batch after a restart when that batch re-runs one a stop
   * interrupted, after the batch has committed, so starting the query once more continues cleanly.
   */
  public static boolean isMetricsFailureAfterRestart(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NullPointerException) {
        for (StackTraceElement frame : t.getStackTrace()) {
          if (frame.getClassName().startsWith("org.apache.spark.sql.kafka010.KafkaMicroBatchStream")
              && frame.getMethodName().equals("metrics")) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** A command's note when it starts its stream again after {@link #isMetricsFailureAfterRestart}. */
  public static final String RESTART_NOTE = "Spark's Kafka source stopped after re-running the micro-batch an earlier stop "
      + "interrupted (SPARK-55271; the batch is committed): starting the stream again";

  /** Where the lines come from, for a command's first line (no option values: they may hold secrets). */
  public static String describe(FraudLakeConfig config) {
    String topic = config.string("source.kafka.topic").trim();
    return topic.isEmpty()
        ? "Kafka topics matching " + config.string("source.kafka.topic-pattern").trim() + " at " + servers(config)
        : "Kafka topic " + topic + " at " + servers(config);
  }

  /** Spark's Kafka source options for the configuration; errors name keys, never values. */
  static Map<String, String> options(FraudLakeConfig config) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("kafka.bootstrap.servers", servers(config));
    String topic = config.string("source.kafka.topic").trim();
    String pattern = config.string("source.kafka.topic-pattern").trim();
    if (topic.isEmpty() == pattern.isEmpty()) {
      throw new FraudLakeException("set one of fraudlake.source.kafka.topic and fraudlake.source.kafka.topic-pattern for source.kind = kafka");
    }
    if (topic.isEmpty()) {
      try {
        Pattern.compile(pattern);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw new FraudLakeException("fraudlake.source.kafka.topic-pattern is not a regular expression: " + e.getDescription());
      }
      options.put("subscribePattern", pattern);
    } else {
      options.put("subscribe", topic);
    }
    String starting = config.string("source.kafka.starting-offsets").trim();
    String lower = starting.toLowerCase(Locale.ROOT);
    if (!lower.equals("earliest") && !lower.equals("latest") && !starting.startsWith("{")) {
      throw new FraudLakeException("fraudlake.source.kafka.starting-offsets must be earliest, latest or Spark's JSON of offsets per partition, got \""
          + starting + "\"");
    }
    // Only the first start of a query reads it: afterwards the checkpoint's offsets win.
    options.put("startingOffsets", lower.equals("earliest") || lower.equals("latest") ? lower : starting);
    long maxOffsets = config.longValue("source.kafka.max-offsets-per-trigger");
    if (maxOffsets < 0) {
      throw new FraudLakeException("fraudlake.source.kafka.max-offsets-per-trigger must be 0 (no limit) or more, got " + maxOffsets);
    }
    if (maxOffsets > 0) {
      options.put("maxOffsetsPerTrigger", Long.toString(maxOffsets));
    }
    for (Map.Entry<String, String> option : config.stringMap("source.kafka.options").entrySet()) {
      String key = option.getKey();
      if (!key.startsWith("kafka.")) {
        throw new FraudLakeException("fraudlake.source.kafka.options." + key + ": only Kafka client options (kafka.*) are passed through");
      }
      if (options.containsKey(key)) {
        throw new FraudLakeException("fraudlake.source.kafka.options." + key + " is set by fraudlake.source.kafka.bootstrap-servers");
      }
      options.put(key, option.getValue());
    }
    return options;
  }

  private static String servers(FraudLakeConfig config) {
    String servers = config.string("source.kafka.bootstrap-servers").trim();
    if (servers.isEmpty()) {
      throw new FraudLakeException("fraudlake.source.kafka.bootstrap-servers is not set (host:port[,host:port...]) for source.kind = kafka");
    }
    return servers;
  }
}
