package io.fraudlake.bronze;

import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Landing files of valid events from {@link TransactionGenerator}, most of them damaged in one of
 * the ways a hostile or broken producer damages a line: cut short, a value of the wrong type, huge
 * or odd numbers, control characters, NUL bytes, line breaks, byte order marks, lone surrogates
 * (escaped, and raw as bytes), bytes that are not UTF-8, duplicated keys, arrays for objects,
 * nesting near and far beyond parsers' depth limits, lines of a megabyte, and random byte damage.
 * A share is left intact, so that a parser that quarantines everything cannot pass.
 *
 * <p>Everything comes from one {@link Random} seeded by the caller: the same seed gives the same files.
 */
final class HostileLines {
  /** What a damaged line must become, where that is certain whatever the parser's details. */
  enum Expect { BRONZE, QUARANTINE, EITHER }

  /** One record as written (it may hold line breaks, so the text source may read it as several lines). */
  record Record(String kind, byte[] bytes, Expect expect) {
    String transactionId() {
      Matcher id = ID.matcher(new String(bytes, StandardCharsets.UTF_8));
      return id.find() ? id.group(1) : null;
    }
  }

  /** One landing file: its name, its records, and the bytes written (records joined by the file's line ends). */
  record LandingFile(String name, List<Record> records, byte[] bytes) {}

  static final String INVALID_UTF8 = "invalid UTF-8";
  private static final Pattern ID = Pattern.compile("\"TransactionID\":\"([^\"\\\\]*)\"");
  private static final String[] FIELDS = BronzeParser.KNOWN_FIELDS.toArray(String[]::new);
  private static final String[] NUMBER_FIELDS = {"TransactionAmt", "event_timestamp", "isFraud"};
  private static final String[] ODD_NUMBERS = {"1e400", "-1e400", "1e-400", "-1e-400", "-0", "-0.0", "0e0", "1E+308",
      "99999999999999999999999", "-99999999999999999999999", "9223372036854775808", "-9223372036854775809",
      "4102444800001", "1710064800000.5", "1" + "0".repeat(400), "1" + "0".repeat(1200), "0." + "0".repeat(500) + "1",
      "NaN", "-Infinity", "Infinity", "\"NaN\"", "\"1e400\"", "007", "+1", ".5", "1.", "0x1F", "1e", "--1", "1_000"};
  private static final String[] WRONG_VALUES = {"\"12.5\"", "true", "false", "null", "[]", "[1]", "{}", "{\"v\":1}", "\"\"",
      "\"   \"", "0", "1", "2", "1.5", "\"2024-03-10\"", "\"2024-03-10T10:00:00\"", "\"\\u0000\"", "\"2999-01-01T00:00:00Z\"",
      "\"2024-03-10T10:00:00.123456789Z\"", "\"\\n2024-03-10T10:00:00Z\""};
  private static final String[] ODD_STRINGS = {"\"\\ud800\"", "\"x\\udc00y\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"a\\nb\"",
      "\"\u00e9\u4e2d\ud83d\ude00\"", "\"\\\"\"", "\"\\\\\"", "\"\u2028\u2029\u0085\""};
  private static final String[] EXTRA_NAMES = {"", " ", "transactionid", "TransactionID ", "a.b", "$.x", "\\u0000",
      "\u00e9", "\ud83d\ude00", "_kind", "reason", "raw"};
  private static final byte[][] NOT_UTF8 = {{(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC3}, {(byte) 0x80},
      {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
  /** A UTF-16 surrogate encoded as if it were a code point (CESU-8): not UTF-8. */
  private static final byte[] RAW_SURROGATE = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

  private final Random random;
  private final List<String> valid;
  private int nextValid;

  private HostileLines(long seed, List<String> valid) {
    this.random = new Random(seed);
    this.valid = valid;
  }

  /**
   * {@code files} landing files of {@code perFile} records each. Besides the random damage, one
   * record per file is a megabyte long or nested 10,000 deep; the first file starts with a byte
   * order mark before an intact event.
   */
  static List<LandingFile> generate(long seed, int files, int perFile) {
    HostileLines lines = new HostileLines(seed, validEvents(seed, files * perFile));
    List<LandingFile> out = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      out.add(lines.file(f, perFile));
    }
    return out;
  }

  private static List<String> validEvents(long seed, int rows) {
    Path dir = SharedSpark.tempDir("hostile-source");
    new TransactionGenerator(GeneratorOptions.of(rows, Instant.parse("2024-03-10T00:00:00Z"), seed).withCards(Math.max(1, rows / 50)))
        .writeTo(dir, "valid");
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()) {
        lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines;
  }

  private LandingFile file(int index, int perFile) {
    List<Record> records = new ArrayList<>();
    for (int i = 0; i < perFile; i++) {
      // The record after the first file's byte order mark, and the one that ends the file without a
      // line break (where an empty record would be no line at all), are intact events.
      records.add(i == 0 && index == 0 || i == perFile - 1 && index == 1 ? intact() : damaged());
    }
    // The expensive ones, at a random place: a megabyte line in every other file, a line nested
    // 10,000 deep in the others.
    records.set(1 + random.nextInt(perFile - 2), index % 2 == 0 ? megabyte() : deepBeyondAnyLimit());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (index == 0) {
      bytes.writeBytes(BOM);
    }
    String[] ends = {"\n", "\r\n", "\r"};
    for (int i = 0; i < records.size(); i++) {
      bytes.writeBytes(records.get(i).bytes());
      boolean last = i == records.size() - 1;
      // File 1 ends without a line break; file 2 uses CRLF, file 3 CR, the others LF or a random mix.
      if (!(last && index == 1)) {
        String end = switch (index) {
          case 2 -> "\r\n";
          case 3 -> "\r";
          case 4 -> ends[random.nextInt(ends.length)];
          default -> "\n";
        };
        bytes.writeBytes(end.getBytes(StandardCharsets.US_ASCII));
      }
    }
    return new LandingFile(String.format("hostile-%02d.jsonl", index), records, bytes.toByteArray());
  }

  private String nextValid() {
    return valid.get(nextValid++ % valid.size());
  }

  private Record intact() {
    return record("intact", nextValid(), Expect.BRONZE);
  }

  private Record damaged() {
    String line = nextValid();
    int kind = random.nextInt(20);
    return switch (kind) {
      case 0, 1, 2 -> intact();
      // A strict prefix of a JSON object is never a JSON object; the empty prefix is an empty line.
      case 3 -> record("truncated", line.substring(0, random.nextInt(line.length())), Expect.QUARANTINE);
      case 4 -> record("wrong type", replaceValue(line, pick(FIELDS), pick(WRONG_VALUES)), Expect.EITHER);
      case 5 -> record("odd number", replaceValue(line, random.nextInt(4) == 0 ? pick(FIELDS) : pick(NUMBER_FIELDS), pick(ODD_NUMBERS)),
          Expect.EITHER);
      case 6 -> record("odd string", replaceValue(line, pick(FIELDS), pick(ODD_STRINGS)), Expect.EITHER);
      case 7 -> record("control character", insert(line, String.valueOf(controlCharacter())), Expect.EITHER);
      case 8 -> record("NUL", insert(line, "\u0000"), Expect.EITHER);
      case 9 -> record("line break", insert(line, pick(new String[] {"\n", "\r", "\r\n", "\n\n", "\r\r"})), Expect.EITHER);
      case 10 -> record("byte order mark", random.nextBoolean() ? "\ufeff" + line : insert(line, "\ufeff"), Expect.EITHER);
      case 11 -> notUtf8(line, random.nextInt(4) == 0 ? RAW_SURROGATE : NOT_UTF8[random.nextInt(NOT_UTF8.length)]);
      case 12 -> duplicateKey(line);
      case 13 -> record("array", random.nextBoolean() ? "[" + line + "]" : "[1,2]", Expect.QUARANTINE);
      case 14 -> record("deep near the limit", withExtra(line, "deep", nested(990 + random.nextInt(21))), Expect.EITHER);
      case 15 -> record("extra field", withExtra(line, pick(EXTRA_NAMES), random.nextBoolean() ? pick(WRONG_VALUES) : pick(ODD_NUMBERS)),
          Expect.EITHER);
      case 16 -> record("blank", " ".repeat(random.nextInt(4)), Expect.QUARANTINE);
      case 17 -> record("garbage", randomText(1 + random.nextInt(80)), Expect.EITHER);
      default -> randomBytes(line);
    };
  }

  private Record megabyte() {
    String line = nextValid();
    String mega = "m".repeat(1 << 20);
    return switch (random.nextInt(4)) {
      case 0 -> record("megabyte extra field", withExtra(line, "padding", "\"" + mega + "\""), Expect.EITHER);
      case 1 -> record("megabyte id", replaceValue(line, "TransactionID", "\"" + mega + "\""), Expect.EITHER);
      case 2 -> record("megabyte of spaces", " ".repeat(1 << 20) + line, Expect.EITHER);
      default -> record("megabyte of garbage", mega + line, Expect.QUARANTINE);
    };
  }

  private Record deepBeyondAnyLimit() {
    String line = nextValid();
    String deep = nested(10_000);
    return switch (random.nextInt(3)) {
      case 0 -> record("deep line", deep, Expect.QUARANTINE);
      case 1 -> record("deep amount", replaceValue(line, "TransactionAmt", deep), Expect.QUARANTINE);
      default -> record("deep extra field", withExtra(line, "deep", deep), Expect.QUARANTINE);
    };
  }

  /** Bytes that are not UTF-8 inside the card_id string: apart from them, a valid event. */
  private Record notUtf8(String line, byte[] bad) {
    byte[] text = line.getBytes(StandardCharsets.UTF_8);
    int at = line.indexOf("\"card_id\":\"") + "\"card_id\":\"".length();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(text, 0, at);
    out.writeBytes(bad);
    out.write(text, at, text.length - at);
    return new Record(INVALID_UTF8, out.toByteArray(), Expect.QUARANTINE);
  }

  /** A known field written twice, with its own value or another: which one counts is anybody's guess. */
  private Record duplicateKey(String line) {
    String field = pick(FIELDS);
    Matcher value = valuePattern(field).matcher(line);
    String again = value.find() && random.nextBoolean() ? value.group(1) : pick(WRONG_VALUES);
    return record("duplicate key", withExtra(line, field, again), Expect.QUARANTINE);
  }

  /** One to three bytes deleted, inserted or overwritten with any byte value, line breaks included. */
  private Record randomBytes(String line) {
    List<Byte> bytes = new ArrayList<>();
    for (byte b : line.getBytes(StandardCharsets.UTF_8)) {
      bytes.add(b);
    }
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits && !bytes.isEmpty(); e++) {
      int at = random.nextInt(bytes.size());
      switch (random.nextInt(3)) {
        case 0 -> bytes.remove(at);
        case 1 -> bytes.add(at, (byte) random.nextInt(256));
        default -> bytes.set(at, (byte) random.nextInt(256));
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return new Record("random bytes", out, Expect.EITHER);
  }

  private char controlCharacter() {
    char[] odd = {'\u007f', '\u0085', '\u2028', '\u2029', '\u200b'};
    if (random.nextBoolean()) {
      return odd[random.nextInt(odd.length)];
    }
    char c;
    do {
      c = (char) (1 + random.nextInt(31));
    } while (c == '\n' || c == '\r');
    return c;
  }

  private String randomText(int length) {
    StringBuilder s = new StringBuilder();
    String alphabet = "{}[],:\"\\ -.0123456789eEtrunlfaTZ\t\u00e9\u0000";
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  private String insert(String line, String text) {
    int at = random.nextInt(line.length() + 1);
    return line.substring(0, at) + text + line.substring(at);
  }

  private String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }

  private static Record record(String kind, String line, Expect expect) {
    return new Record(kind, line.getBytes(StandardCharsets.UTF_8), expect);
  }

  /** An object or array {@code depth} levels deep. */
  private String nested(int depth) {
    return random.nextBoolean() ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  private static String withExtra(String line, String name, String value) {
    return line.substring(0, line.lastIndexOf('}')) + ",\"" + name + "\":" + value + "}";
  }

  private static String replaceValue(String line, String field, String value) {
    Matcher m = valuePattern(field).matcher(line);
    return m.find() ? line.substring(0, m.start(1)) + value + line.substring(m.end(1)) : withExtra(line, field, value);
  }

  private static Pattern valuePattern(String field) {
    return Pattern.compile("\"" + field + "\":(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]*)");
  }
}
