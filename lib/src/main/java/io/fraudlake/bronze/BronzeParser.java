package io.fraudlake.bronze;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import io.fraudlake.spark.BatchValues;
import java.sql.Timestamp;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns raw JSON lines into typed bronze rows or quarantine reasons, entirely in Spark SQL.
 *
 * <p>Each line is parsed once into a VARIANT ({@code try_parse_json}); {@code schema_of_variant}
 * then gives the JSON type of every field, so "wrong type" is decided on the JSON as written
 * ({@code "12.5"} is a string, not an amount) rather than on what a lenient cast would accept.
 * Unknown fields are kept in {@code extra_fields}, a JSON object string (NULL when there are none):
 * lossless, readable in SQL with {@code from_json}/{@code get_json_object}, and no table feature
 * or schema change is needed when producers add fields.
 *
 * <p>Most lines are clean events, and for them the VARIANT is the expensive part: every typed read
 * of a field builds a cast. {@link CleanLines} reads those in one pass of a streaming JSON parser
 * first; only the other lines get the VARIANT and the checks that name their problem.
 */
public final class BronzeParser {
  public static final List<String> KNOWN_FIELDS = List.of("TransactionID", "event_timestamp", "card_id",
      "TransactionAmt", "ProductCD", "card_country", "merchant_country", "isFraud");

  public static final StructType BRONZE_SCHEMA = new StructType()
      .add("TransactionID", DataTypes.StringType, false)
      .add("event_timestamp", DataTypes.TimestampType, false)
      .add("card_id", DataTypes.StringType, false)
      .add("TransactionAmt", DataTypes.DoubleType, false)
      .add("ProductCD", DataTypes.StringType, false)
      .add("card_country", DataTypes.StringType)
      .add("merchant_country", DataTypes.StringType)
      .add("isFraud", DataTypes.IntegerType)
      .add("extra_fields", DataTypes.StringType)
      .add("source_file", DataTypes.StringType)
      .add("ingested_at", DataTypes.TimestampType);

  public static final StructType QUARANTINE_SCHEMA = new StructType()
      .add("raw", DataTypes.StringType)
      .add("reason", DataTypes.StringType)
      .add("source_file", DataTypes.StringType)
      .add("ingested_at", DataTypes.TimestampType);

  private static final String INTEGER_TYPES = "('BIGINT', 'INT', 'SMALLINT', 'TINYINT')";
  private static final String NUMBER_TYPES = "('BIGINT', 'INT', 'SMALLINT', 'TINYINT', 'DOUBLE', 'FLOAT')";
  // 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in epoch milliseconds; outside that range an
  // epoch value is absurd anyway, and staying inside it keeps timestamp_millis from overflowing.
  private static final long MIN_MILLIS = 946_684_800_000L;
  static final long MAX_MILLIS = 4_102_444_800_000L;
  private static final String ISO_WITH_ZONE =
      "^\\\\d{4}-\\\\d{2}-\\\\d{2}[T ]\\\\d{2}:\\\\d{2}(:\\\\d{2}(\\\\.\\\\d{1,9})?)?(Z|[+-]\\\\d{2}:\\\\d{2})$";

  /** How far an event time may lie ahead of its ingest time. */
  public static final long MAX_MILLIS_AHEAD_OF_INGEST = 86_400_000L;
  static final String FUTURE_REASON = "event_timestamp more than one day after ingest time";
  private static final int SHOWN_CHARACTERS = 40;
  private static final String CLEAN_TIME = "timestamp_micros(_c_event_timestamp)";
  private static final UserDefinedFunction NESTING = udf(new JsonNesting(), DataTypes.BooleanType);

  private BronzeParser() {}

  /**
   * The quarantine reason of an event time too far ahead of its ingest time, or null. The live
   * pipeline stamps its ingest time after parsing (see {@link #parseUnstamped}) and applies the rule then.
   */
  public static String futureReason(Timestamp eventTime, Timestamp ingestedAt) {
    long limit = ingestedAt.getTime() + MAX_MILLIS_AHEAD_OF_INGEST;
    boolean ahead = eventTime.getTime() > limit || eventTime.getTime() == limit && eventTime.getNanos() % 1_000_000 > 0;
    return ahead ? FUTURE_REASON : null;
  }

  /**
   * The future rule of {@link #futureReason} as a SQL condition: {@code eventTime} more than a day
   * after {@code ingestedAt} (both SQL expressions).
   */
  public static String aheadOfIngest(String eventTime, String ingestedAt) {
    return eventTime + " > " + ingestedAt + " + INTERVAL " + MAX_MILLIS_AHEAD_OF_INGEST / 1000 + " SECONDS";
  }

  /**
   * {@link #parse} without an ingest time ({@code ingested_at} NULL) and so without the rule that
   * needs one, which the caller applies with {@link #futureReason} once it stamps the rows. A stream
   * that parses outside {@code foreachBatch} has no driver-side batch time to put in the plan.
   */
  public static Dataset<Row> parseUnstamped(Dataset<Row> lines) {
    return parse(lines, org.apache.spark.sql.functions.lit(null).cast(DataTypes.TimestampType), true);
  }

  /**
   * {@code lines} has {@code value} (the raw line) and {@code source_file}; the result has every
   * bronze column, {@code raw}, and {@code reason} (NULL for a good row).
   */
  public static Dataset<Row> parse(Dataset<Row> lines, Timestamp ingestedAt) {
    return parse(lines, BatchValues.timestamp(ingestedAt), true);
  }

  /**
   * With {@code cleanPath}, lines {@link CleanEventParser} reads in one pass skip the VARIANT; without,
   * every line takes the general path. The two agree on every clean line (the tests check that); the
   * general path alone is the reference the parser benchmark measures the clean one against.
   */
  public static Dataset<Row> parse(Dataset<Row> lines, Column ingestedAt, boolean cleanPath) {
    // The text source passes a file's bytes on as they are, so a line may not be UTF-8. Such a line
    // is quarantined, its bad bytes replaced by U+FFFD (make_valid_utf8) before either path sees it,
    // so both paths and the raw text kept agree; the clean path would read the replacement as text.
    Dataset<Row> checked = lines
        .withColumn("_utf8", expr("is_valid_utf8(value)"))
        .withColumn("value", expr("CASE WHEN _utf8 THEN value ELSE make_valid_utf8(value) END"));
    Dataset<Row> typed = (cleanPath ? CleanLines.mark(checked) : CleanLines.none(checked))
        .withColumn(CleanLines.CLEAN, expr("_clean AND _utf8"))
        .withColumn("ingested_at", ingestedAt)
        .withColumn("_deep", when(expr("NOT _clean AND _utf8"), NESTING.apply(col("value"))).otherwise(false))
        .withColumn("_v", expr("CASE WHEN NOT _clean AND _utf8 AND NOT _deep THEN try_parse_json(value) END"))
        .withColumn("_kind", expr("schema_of_variant(_v)"))
        .withColumn("_lenient_amt", expr("CASE WHEN _v IS NULL AND NOT _clean AND _utf8 AND NOT _deep"
            + " THEN from_json(value, 'TransactionAmt DOUBLE', map('mode', 'PERMISSIVE')).TransactionAmt END"));
    for (String field : KNOWN_FIELDS) {
      typed = typed.withColumn("_t_" + field, expr("schema_of_variant(variant_get(_v, '$." + field + "'))"));
    }
    typed = typed
        .withColumn("_amt", expr("CASE WHEN " + isNumber("_t_TransactionAmt")
            + " THEN variant_get(_v, '$.TransactionAmt', 'double') END"))
        // DECIMAL(38,0) holds every integer a VARIANT keeps as one, so an epoch beyond BIGINT is still
        // compared with the range below rather than lost to NULL.
        .withColumn("_ts_millis", expr("CASE WHEN " + isInteger("_t_event_timestamp")
            + " THEN try_variant_get(_v, '$.event_timestamp', 'decimal(38,0)') END"))
        .withColumn("_ts_text", expr("CASE WHEN _t_event_timestamp = 'STRING'"
            + " THEN variant_get(_v, '$.event_timestamp', 'string') END"))
        .withColumn("_ts", expr("CASE"
            + " WHEN _ts_millis BETWEEN " + MIN_MILLIS + " AND " + MAX_MILLIS + " THEN timestamp_millis(CAST(_ts_millis AS BIGINT))"
            + " WHEN _ts_text RLIKE '" + ISO_WITH_ZONE + "' THEN try_cast(_ts_text AS TIMESTAMP)"
            + " END"))
        .withColumn("_fraud", expr("CASE WHEN " + isInteger("_t_isFraud")
            + " THEN try_variant_get(_v, '$.isFraud', 'bigint') END"));

    StringBuilder reason = new StringBuilder("CASE")
        .append(" WHEN NOT _utf8 THEN 'not valid UTF-8'")
        .append(" WHEN trim(value) = '' THEN 'empty line'")
        .append(" WHEN _deep THEN '" + JsonNesting.REASON + "'")
        // Strict JSON has no NaN/Infinity literals; a producer writing them still deserves the
        // specific reason, which the lenient from_json parser (allowNonNumericNumbers) can give.
        .append(" WHEN _v IS NULL AND isnan(_lenient_amt) THEN 'TransactionAmt is NaN'")
        .append(" WHEN _v IS NULL AND _lenient_amt IN (double('Infinity'), double('-Infinity'))"
            + " THEN 'TransactionAmt is infinite'")
        .append(" WHEN _v IS NULL THEN 'not valid JSON'")
        .append(" WHEN NOT startswith(_kind, 'OBJECT') THEN 'not a JSON object'");
    for (String field : List.of("TransactionID", "event_timestamp", "card_id", "TransactionAmt", "ProductCD")) {
      reason.append(" WHEN ").append(missing(field)).append(" THEN 'missing required field ").append(field).append("'");
    }
    for (String field : List.of("TransactionID", "card_id", "ProductCD")) {
      reason.append(" WHEN _t_").append(field).append(" <> 'STRING' THEN ").append(wrongType(field, "string"));
      reason.append(" WHEN trim(variant_get(_v, '$.").append(field).append("', 'string')) = ''")
          .append(" THEN 'empty required field ").append(field).append("'");
    }
    reason.append(" WHEN NOT ").append(isNumber("_t_TransactionAmt")).append(" THEN ").append(wrongType("TransactionAmt", "number"))
        .append(" WHEN isnan(_amt) THEN 'TransactionAmt is NaN'")
        .append(" WHEN _amt IN (double('Infinity'), double('-Infinity')) THEN 'TransactionAmt is infinite'")
        .append(" WHEN _amt < 0 THEN 'TransactionAmt is negative'")
        .append(" WHEN NOT (").append(isInteger("_t_event_timestamp")).append(" OR _t_event_timestamp = 'STRING') THEN ")
        .append(wrongType("event_timestamp", "ISO-8601 string or integer epoch milliseconds"))
        .append(" WHEN _ts_millis IS NOT NULL AND _ts_millis < ").append(MIN_MILLIS)
        .append(" THEN 'event_timestamp before 2000-01-01'")
        .append(" WHEN _ts_millis IS NOT NULL AND _ts_millis > ").append(MAX_MILLIS)
        .append(" THEN '" + FUTURE_REASON + "'")
        .append(" WHEN _ts IS NULL THEN concat('event_timestamp is not ISO-8601 with a zone: ', ").append(shown("_ts_text")).append(")")
        .append(" WHEN _ts < TIMESTAMP'2000-01-01 00:00:00' THEN 'event_timestamp before 2000-01-01'")
        .append(" WHEN ").append(aheadOfIngest("_ts", "ingested_at")).append(" THEN '" + FUTURE_REASON + "'");
    for (String field : List.of("card_country", "merchant_country")) {
      reason.append(" WHEN NOT ").append(missing(field)).append(" AND _t_").append(field).append(" <> 'STRING' THEN ")
          .append(wrongType(field, "string"));
    }
    reason.append(" WHEN NOT ").append(missing("isFraud")).append(" AND (_fraud IS NULL OR _fraud NOT IN (0, 1))")
        .append(" THEN concat('isFraud must be 0 or 1, got ', ").append(shown("to_json(variant_get(_v, '$.isFraud'))")).append(")")
        .append(" END");
    String cleanReason = "CASE WHEN " + aheadOfIngest(CLEAN_TIME, "ingested_at") + " THEN '" + FUTURE_REASON + "' END";

    String known = KNOWN_FIELDS.stream().map(f -> "'" + f + "'").reduce((a, b) -> a + ", " + b).orElseThrow();
    return typed
        .withColumn("reason", expr("CASE WHEN _clean THEN " + cleanReason + " ELSE " + reason + " END"))
        .select(
            col("value").as("raw"),
            col("reason"),
            cleanOr("TransactionID", "try_variant_get(_v, '$.TransactionID', 'string')"),
            cleanOr("event_timestamp", CLEAN_TIME, "_ts"),
            cleanOr("card_id", "try_variant_get(_v, '$.card_id', 'string')"),
            cleanOr("TransactionAmt", "_amt"),
            cleanOr("ProductCD", "try_variant_get(_v, '$.ProductCD', 'string')"),
            cleanOr("card_country", "CASE WHEN _t_card_country = 'STRING' THEN variant_get(_v, '$.card_country', 'string') END"),
            cleanOr("merchant_country", "CASE WHEN _t_merchant_country = 'STRING' THEN variant_get(_v, '$.merchant_country', 'string') END"),
            // Evaluated for quarantined lines too: an isFraud beyond INT must not reach the ANSI cast.
            cleanOr("isFraud", "CAST(CASE WHEN _fraud IN (0, 1) THEN _fraud END AS INT)"),
            expr("CASE WHEN startswith(_kind, 'OBJECT') THEN map_filter(try_cast(_v AS MAP<STRING, VARIANT>),"
                + " (k, x) -> NOT array_contains(array(" + known + "), k)) END").as("_extra"),
            col("source_file"),
            col("ingested_at"))
        .withColumn("extra_fields", expr("CASE WHEN size(_extra) > 0 THEN to_json(_extra) END"))
        .drop("_extra");
  }

  /** The good rows of a parsed batch, in bronze's column order. */
  public static Dataset<Row> bronzeRows(Dataset<Row> parsed) {
    return parsed.filter(col("reason").isNull())
        .select(java.util.Arrays.stream(BRONZE_SCHEMA.fieldNames()).map(org.apache.spark.sql.functions::col).toArray(Column[]::new));
  }

  public static Dataset<Row> quarantineRows(Dataset<Row> parsed) {
    return parsed.filter(col("reason").isNotNull()).select("raw", "reason", "source_file", "ingested_at");
  }

  private static Column cleanOr(String field, String general) {
    return cleanOr(field, "_c_" + field, general);
  }

  private static Column cleanOr(String field, String clean, String general) {
    return expr("CASE WHEN _clean THEN " + clean + " ELSE " + general + " END").as(field);
  }

  /**
   * A value quoted in a reason, kept to one short line whatever the producer wrote: its first
   * {@value #SHOWN_CHARACTERS} characters, control characters and line or paragraph separators as
   * '?', and "..." when there was more. The raw line beside the reason has it all.
   */
  private static String shown(String value) {
    return "concat(regexp_replace(left(" + value + ", " + SHOWN_CHARACTERS + "), '[\\\\p{Cc}\\\\p{Zl}\\\\p{Zp}]', '?'),"
        + " CASE WHEN length(" + value + ") > " + SHOWN_CHARACTERS + " THEN '...' ELSE '' END)";
  }

  private static String missing(String field) {
    return "(_t_" + field + " IS NULL OR _t_" + field + " = 'VOID')";
  }

  private static String isInteger(String typeColumn) {
    return "(" + typeColumn + " IN " + INTEGER_TYPES + " OR " + typeColumn + " RLIKE '^DECIMAL\\\\([0-9]+,0\\\\)$')";
  }

  private static String isNumber(String typeColumn) {
    return "coalesce(" + typeColumn + " IN " + NUMBER_TYPES + " OR startswith(" + typeColumn + ", 'DECIMAL'), false)";
  }

  private static String wrongType(String field, String expected) {
    return "concat('wrong type for " + field + ": expected " + expected + ", got ', " + jsonKind("_t_" + field) + ")";
  }

  private static String jsonKind(String typeColumn) {
    return "CASE WHEN " + isNumber(typeColumn) + " THEN 'number'"
        + " WHEN " + typeColumn + " = 'STRING' THEN 'string'"
        + " WHEN " + typeColumn + " = 'BOOLEAN' THEN 'boolean'"
        + " WHEN startswith(" + typeColumn + ", 'OBJECT') THEN 'object'"
        + " WHEN startswith(" + typeColumn + ", 'ARRAY') THEN 'array'"
        + " ELSE lower(" + typeColumn + ") END";
  }
}
