package io.fraudlake.sql;

import io.fraudlake.FraudLakeException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How {@code sql} prints a result. */
public enum ResultFormat {
  TABLE, CSV, JSON;

  public static ResultFormat parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new FraudLakeException("unknown format '" + name + "'; use one of "
          + Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }
  }
}
