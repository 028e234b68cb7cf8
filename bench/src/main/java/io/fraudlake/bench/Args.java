package io.fraudlake.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs; the benchmark mains take nothing else. */
final class Args {
  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  static Args parse(String[] args) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
      }
      values.put(args[i].substring(2), args[++i]);
    }
    return new Args(values);
  }

  /** A copy with {@code name} set to {@code value}. */
  Args with(String name, String value) {
    Map<String, String> copy = new HashMap<>(values);
    copy.put(name, value);
    return new Args(copy);
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  String required(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return v;
  }

  long longValue(String name, long fallback) {
    return values.containsKey(name) ? Long.parseLong(values.get(name)) : fallback;
  }

  int intValue(String name, int fallback) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }
}
