package io.fraudlake.bronze;

import org.apache.spark.sql.api.java.UDF1;

/**
 * Whether a line's JSON nests objects and arrays deeper than bronze accepts, counted in one pass
 * over the text without parsing it (brackets inside strings do not count). Spark's VARIANT
 * functions ({@code schema_of_variant}, {@code to_json}) recurse once per level, and a value nested
 * about a thousand deep overflows an executor thread's stack: a {@link StackOverflowError} that
 * ends the whole JVM, not just the task. Lines deeper than {@link #MAX_DEPTH} are therefore
 * quarantined before any VARIANT is built. An event is one object of flat fields; 100 levels leave
 * producers' extra fields all the room they need.
 */
final class JsonNesting implements UDF1<String, Boolean> {
  private static final long serialVersionUID = 1L;
  static final int MAX_DEPTH = 100;
  static final String REASON = "JSON nested deeper than " + MAX_DEPTH + " levels";

  @Override
  public Boolean call(String line) {
    return line != null && deeperThan(line, MAX_DEPTH);
  }

  /** True when {@code text} opens more than {@code max} objects or arrays inside one another. */
  static boolean deeperThan(String text, int max) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        if (++depth > max) {
          return true;
        }
      } else if ((c == '}' || c == ']') && depth > 0) {
        depth--;
      }
    }
    return false;
  }
}
