package io.fraudlake.bronze;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the bronze fields of a line that is a clean event, in one pass of a streaming JSON parser:
 * a JSON object holding only the known fields, each at most once, with the required ones present and
 * well typed, an amount that is a plain non-negative number of at most 15 digits, an event time in
 * epoch milliseconds or ISO-8601 with seconds and a zone, on or after 2000-01-01, and isFraud 0, 1
 * or null. Anything else, however harmless, gets {@code null}: {@link BronzeParser}'s general path,
 * which names every problem, then decides the line, so a clean line's fields are exactly what that
 * path would give it and only its cost differs.
 */
public final class CleanEventParser {
  private static final int TRANSACTION_ID = 0;
  private static final int EVENT_TIME = 1;
  private static final int CARD_ID = 2;
  private static final int AMOUNT = 3;
  private static final int PRODUCT_CD = 4;
  private static final int CARD_COUNTRY = 5;
  private static final int MERCHANT_COUNTRY = 6;
  private static final int IS_FRAUD = 7;
  private static final int REQUIRED = 0b11111;
  private static final int MAX_LINE = 65_536;
  // 15 digits convert to the same double whether Spark divides its decimal by a power of ten or
  // parses the text, which is what makes the amount exact on both paths.
  private static final int MAX_NUMBER_DIGITS = 15;
  private static final long MIN_MICROS = 946_684_800_000_000L;
  private static final Pattern ISO_SECONDS_WITH_ZONE = Pattern.compile(
      "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?(Z|[+-](\\d{2}):(\\d{2}))");
  /** What a fraction of n digits is multiplied by to give microseconds. */
  private static final long[] MICROS_SCALE = {0, 100_000, 10_000, 1_000, 100, 10, 1};
  private static final JsonFactory JSON = new JsonFactory();

  /**
   * A clean event's fields, in {@link BronzeParser#KNOWN_FIELDS}'s order: the strings as written, the
   * event time in microseconds since the epoch.
   */
  public record Event(String transactionId, long eventMicros, String cardId, double amount, String productCd,
      String cardCountry, String merchantCountry, Integer isFraud) {}

  private CleanEventParser() {}

  /** The line's event if it is clean, otherwise null. */
  public static Event parse(String line) {
    if (line == null || line.length() > MAX_LINE) {
      return null;
    }
    try (JsonParser json = JSON.createParser(line)) {
      return json.nextToken() == JsonToken.START_OBJECT ? readObject(json) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Event readObject(JsonParser json) throws IOException {
    String[] strings = new String[MERCHANT_COUNTRY + 1];
    long eventMicros = 0;
    double amount = 0;
    Integer isFraud = null;
    int seen = 0;
    int present = 0;
    for (JsonToken token = json.nextToken(); token != JsonToken.END_OBJECT; token = json.nextToken()) {
      int field = fieldIndex(json.currentName());
      if (field < 0 || (seen & 1 << field) != 0) {
        return null;
      }
      seen |= 1 << field;
      JsonToken value = json.nextToken();
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      present |= 1 << field;
      switch (field) {
        case EVENT_TIME -> {
          eventMicros = eventMicros(json, value);
          if (eventMicros < MIN_MICROS) {
            return null;
          }
        }
        case AMOUNT -> {
          amount = amount(json, value);
          if (Double.isNaN(amount)) {
            return null;
          }
        }
        case IS_FRAUD -> {
          String text = json.getText();
          if (value != JsonToken.VALUE_NUMBER_INT || !(text.equals("0") || text.equals("1"))) {
            return null;
          }
          isFraud = text.equals("1") ? 1 : 0;
        }
        default -> {
          if (value != JsonToken.VALUE_STRING) {
            return null;
          }
          String text = json.getText();
          if (!plainText(text) || field < CARD_COUNTRY && blank(text)) {
            return null;
          }
          strings[field] = text;
        }
      }
    }
    if ((present & REQUIRED) != REQUIRED || json.nextToken() != null) {
      return null;
    }
    return new Event(strings[TRANSACTION_ID], eventMicros, strings[CARD_ID], amount, strings[PRODUCT_CD],
        strings[CARD_COUNTRY], strings[MERCHANT_COUNTRY], isFraud);
  }

  private static int fieldIndex(String name) {
    return switch (name) {
      case "TransactionID" -> TRANSACTION_ID;
      case "event_timestamp" -> EVENT_TIME;
      case "card_id" -> CARD_ID;
      case "TransactionAmt" -> AMOUNT;
      case "ProductCD" -> PRODUCT_CD;
      case "card_country" -> CARD_COUNTRY;
      case "merchant_country" -> MERCHANT_COUNTRY;
      case "isFraud" -> IS_FRAUD;
      default -> -1;
    };
  }

  /** Epoch milliseconds within bronze's range, or an ISO-8601 string Spark casts; -1 otherwise. */
  private static long eventMicros(JsonParser json, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_NUMBER_INT) {
      String digits = json.getText();
      if (digits.length() > 13 || digits.startsWith("-")) {
        return -1;
      }
      long millis = Long.parseLong(digits);
      return millis <= BronzeParser.MAX_MILLIS ? millis * 1000 : -1;
    }
    if (value == JsonToken.VALUE_STRING) {
      Matcher iso = ISO_SECONDS_WITH_ZONE.matcher(json.getText());
      return iso.matches() ? isoMicros(iso) : -1;
    }
    return -1;
  }

  /**
   * The instant of a matched ISO-8601 time. A date, time or offset out of range throws, and the line
   * goes to the general path, which names the problem.
   */
  private static long isoMicros(Matcher iso) {
    LocalDateTime local = LocalDateTime.of(number(iso, 1), number(iso, 2), number(iso, 3), number(iso, 4), number(iso, 5),
        number(iso, 6));
    String zone = iso.group(8);
    int sign = zone.charAt(0) == '-' ? -1 : 1;
    ZoneOffset offset = zone.equals("Z") ? ZoneOffset.UTC : ZoneOffset.ofHoursMinutes(sign * number(iso, 9), sign * number(iso, 10));
    long fraction = 0;
    if (iso.group(7) != null) {
      String digits = iso.group(7);
      fraction = Long.parseLong(digits) * MICROS_SCALE[digits.length()];
    }
    return Math.addExact(Math.multiplyExact(local.toEpochSecond(offset), 1_000_000L), fraction);
  }

  private static int number(Matcher iso, int group) {
    return Integer.parseInt(iso.group(group));
  }

  /** A plain non-negative number of at most 15 digits; NaN otherwise. */
  private static double amount(JsonParser json, JsonToken value) throws IOException {
    if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
      return Double.NaN;
    }
    String text = json.getText();
    int digits = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c != '.') {
        return Double.NaN;
      }
    }
    return digits <= MAX_NUMBER_DIGITS ? Double.parseDouble(text) : Double.NaN;
  }

  /** Spark's trim removes spaces only. */
  private static boolean blank(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) != ' ') {
        return false;
      }
    }
    return true;
  }

  /**
   * No surrogates: a lone one (written as an escape) does not survive the general path's UTF-8
   * unchanged, and telling pairs from halves is not worth it for identifiers and country codes.
   */
  private static boolean plainText(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isSurrogate(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
