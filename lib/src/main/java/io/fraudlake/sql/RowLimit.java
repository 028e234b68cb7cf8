package io.fraudlake.sql;

import io.fraudlake.FraudLakeException;
import java.util.Locale;

/**
 * How many rows of each result {@code sql} prints: a positive number, or every row ({@code 0} or
 * {@code all}), so a table can be exported whole.
 */
public final class RowLimit {
  private static final RowLimit ALL = new RowLimit(0);
  /** Spark's {@code limit} takes an int, and one more row than the limit is read to tell whether there are more. */
  private static final int MAX_ROWS = Integer.MAX_VALUE - 1;

  private final int rows;

  private RowLimit(int rows) {
    this.rows = rows;
  }

  public static RowLimit all() {
    return ALL;
  }

  public static RowLimit of(int rows) {
    if (rows < 0) {
      throw invalid(Integer.toString(rows));
    }
    return rows == 0 ? ALL : new RowLimit(rows);
  }

  /** {@code --limit}'s text: a whole number of rows, {@code 0} or {@code all} for every row. */
  public static RowLimit parse(String text) {
    String value = text.trim();
    if (value.toLowerCase(Locale.ROOT).equals("all")) {
      return ALL;
    }
    long rows;
    try {
      rows = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw invalid(text);
    }
    if (rows < 0 || rows > MAX_ROWS) {
      throw invalid(text);
    }
    return of((int) rows);
  }

  private static FraudLakeException invalid(String text) {
    return new FraudLakeException("--limit must be a number of rows from 1 to " + MAX_ROWS + ", or 0 or all for every row; got \""
        + text + "\"");
  }

  public boolean isAll() {
    return rows == 0;
  }

  /** The number of rows; only for a limit that is not {@link #isAll()}. */
  public int rows() {
    if (isAll()) {
      throw new IllegalStateException("no row limit");
    }
    return rows;
  }

  @Override
  public String toString() {
    return isAll() ? "all" : Integer.toString(rows);
  }
}
