package io.fraudlake.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.bronze.CleanEventParser;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads one raw event of a request, in the landing format, into the fields bronze would give it.
 * The values come from bronze's own parser ({@link CleanEventParser}), so an event is typed online
 * exactly as the pipeline types it; fields the service does not use are ignored, as bronze keeps
 * them aside. An event bronze would quarantine is refused with the reason, naming the field.
 */
final class EventReader {
  private static final String[] REQUIRED = {"TransactionID", "event_timestamp", "card_id", "TransactionAmt", "ProductCD"};
  /** An event bronze accepts, into which {@link #problem} puts one field of a refused event at a time. */
  private static final ObjectNode ACCEPTED = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
      .put("TransactionID", "t").put("event_timestamp", "2020-01-01T00:00:00Z").put("card_id", "c")
      .put("TransactionAmt", 1).put("ProductCD", "W");

  private EventReader() {}

  static CleanEventParser.Event read(JsonNode node, String where, long nowMillis) {
    if (!node.isObject()) {
      throw new BadRequestException(where + " is not a JSON object but " + kind(node));
    }
    ObjectNode known = ((ObjectNode) node).objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (BronzeParser.KNOWN_FIELDS.contains(field.getKey())) {
        known.set(field.getKey(), field.getValue());
      }
    }
    CleanEventParser.Event event = CleanEventParser.parse(Json.write(known));
    if (event == null) {
      throw new BadRequestException(where + ": " + problem(known));
    }
    return notInTheFuture(event, where, nowMillis);
  }

  /**
   * The event of a body that is one clean event (the usual request), read by bronze's parser
   * straight from the text; null when the body is anything else, which {@link #read} then handles.
   */
  static CleanEventParser.Event readClean(String body, long nowMillis) {
    CleanEventParser.Event event = CleanEventParser.parse(body);
    return event == null ? null : notInTheFuture(event, "the event", nowMillis);
  }

  /** Bronze quarantines an event time more than a day ahead of ingest; the service refuses it. */
  private static CleanEventParser.Event notInTheFuture(CleanEventParser.Event event, String where, long nowMillis) {
    if (event.eventMicros() / 1000 > nowMillis + BronzeParser.MAX_MILLIS_AHEAD_OF_INGEST) {
      throw new BadRequestException(where + ": event_timestamp " + Instant.EPOCH.plusNanos(event.eventMicros() * 1000)
          + " is more than one day after the service's clock");
    }
    return event;
  }

  /**
   * Why bronze's parser refused the event: the first field that, put alone into an event bronze
   * accepts, makes the parser refuse it. The parser stays the one judge; this only names the field.
   */
  private static String problem(ObjectNode event) {
    for (String field : REQUIRED) {
      JsonNode value = event.get(field);
      if (value == null || value.isNull()) {
        return "missing required field " + field;
      }
    }
    for (String field : BronzeParser.KNOWN_FIELDS) {
      JsonNode value = event.get(field);
      if (value != null) {
        ObjectNode probe = ACCEPTED.deepCopy();
        probe.set(field, value);
        if (CleanEventParser.parse(Json.write(probe)) == null) {
          return fieldProblem(field, value);
        }
      }
    }
    return "not an event in the landing format";
  }

  private static String fieldProblem(String field, JsonNode value) {
    return switch (field) {
      case "TransactionAmt" -> !value.isNumber() ? "TransactionAmt must be a number, got " + kind(value)
          : value.asDouble() < 0 ? "TransactionAmt must be >= 0, got " + value.asText()
          : !Double.isFinite(value.asDouble()) ? "TransactionAmt must be finite, got " + value.asText()
          : "TransactionAmt " + value.asText() + " has more than 15 digits";
      case "event_timestamp" -> value.isTextual()
          ? "event_timestamp '" + value.asText() + "' is not an ISO-8601 time with seconds and a zone"
              + " (e.g. 2026-12-07T10:15:30Z) on or after 2000-01-01"
          : value.isIntegralNumber()
              ? "event_timestamp " + value.asText() + " is not epoch milliseconds between 2000-01-01 and 2100-01-01"
              : "event_timestamp must be an ISO-8601 string or integral epoch milliseconds, got " + kind(value);
      case "isFraud" -> "isFraud must be 0, 1 or null, got " + value;
      default -> !value.isTextual() ? field + " must be a string, got " + kind(value)
          : value.asText().isBlank() ? field + " is blank"
          : field + " holds an unpaired surrogate character";
    };
  }

  static String kind(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
