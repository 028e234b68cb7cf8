package io.fraudlake.sql;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Runs SQL statements against the lakehouse (contract table names registered first) and prints
 * each result. Only the first {@code limit} rows of a result reach the driver; the output says when
 * more exist.
 */
public final class SqlRunner {
  private final Lakehouse lakehouse;
  private final ResultFormat format;
  private final int limit;
  private final PrintStream out;

  public SqlRunner(Lakehouse lakehouse, ResultFormat format, int limit, PrintStream out) {
    if (limit <= 0) {
      throw new FraudLakeException("--limit must be positive, got " + limit);
    }
    this.lakehouse = lakehouse;
    this.format = format;
    this.limit = limit;
    this.out = out;
  }

  public static String readFile(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new FraudLakeException("cannot read SQL file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Runs every statement of {@code text}; returns how many ran. */
  public int run(String text) {
    List<String> statements = SqlScript.statements(text);
    if (statements.isEmpty()) {
      throw new FraudLakeException("no SQL statement to run");
    }
    lakehouse.registerTables();
    for (int i = 0; i < statements.size(); i++) {
      String statement = statements.get(i);
      if (statements.size() > 1) {
        out.println((i > 0 ? "\n" : "") + "-- [" + (i + 1) + "/" + statements.size() + "] " + firstLine(statement));
      }
      Dataset<Row> result;
      try {
        result = lakehouse.spark().sql(statement);
      } catch (Exception e) {
        // Spark's analysis errors are checked in Scala terms and span many lines (plan, hints); the
        // first line names the problem.
        throw new FraudLakeException("SQL statement " + (i + 1) + " failed: " + firstLineOf(Lakehouse.rootMessage(e)), e);
      }
      print(result);
    }
    out.flush();
    return statements.size();
  }

  void print(Dataset<Row> result) {
    String[] columns = result.schema().fieldNames();
    if (columns.length == 0) {
      result.collectAsList();
      out.println("OK");
      return;
    }
    boolean more;
    int shown;
    if (format == ResultFormat.JSON) {
      // Spark's own JSON writer keeps types (numbers stay numbers, nested values nest).
      List<String> json = result.toJSON().limit(limit + 1).collectAsList();
      more = json.size() > limit;
      shown = Math.min(json.size(), limit);
      json.subList(0, shown).forEach(out::println);
    } else {
      List<Row> rows = result.limit(limit + 1).collectAsList();
      more = rows.size() > limit;
      shown = Math.min(rows.size(), limit);
      rows = rows.subList(0, shown);
      if (format == ResultFormat.TABLE) {
        printTable(columns, rows);
      } else {
        printCsv(columns, rows);
      }
    }
    if (format == ResultFormat.TABLE) {
      out.println(more ? String.format(Locale.ROOT, "(first %,d rows; --limit shows more)", limit)
          : String.format(Locale.ROOT, "(%,d row%s)", shown, shown == 1 ? "" : "s"));
    } else if (more) {
      System.err.println(String.format(Locale.ROOT, "sql: output cut at %,d rows; --limit shows more", limit));
    }
  }

  private void printTable(String[] columns, List<Row> rows) {
    List<String[]> cells = new ArrayList<>();
    int[] widths = new int[columns.length];
    for (int c = 0; c < columns.length; c++) {
      widths[c] = columns[c].length();
    }
    for (Row r : rows) {
      String[] line = new String[columns.length];
      for (int c = 0; c < columns.length; c++) {
        line[c] = text(r.get(c));
        widths[c] = Math.max(widths[c], line[c].length());
      }
      cells.add(line);
    }
    StringBuilder border = new StringBuilder("+");
    for (int w : widths) {
      border.append("-".repeat(w + 2)).append('+');
    }
    out.println(border);
    out.println(tableLine(columns, widths));
    out.println(border);
    cells.forEach(line -> out.println(tableLine(line, widths)));
    out.println(border);
  }

  private static String tableLine(String[] values, int[] widths) {
    StringBuilder s = new StringBuilder("|");
    for (int c = 0; c < values.length; c++) {
      s.append(' ').append(values[c]).append(" ".repeat(widths[c] - values[c].length())).append(" |");
    }
    return s.toString();
  }

  private void printCsv(String[] columns, List<Row> rows) {
    List<String> header = new ArrayList<>();
    for (String c : columns) {
      header.add(csv(c));
    }
    out.println(String.join(",", header));
    for (Row r : rows) {
      List<String> values = new ArrayList<>();
      for (int c = 0; c < columns.length; c++) {
        values.add(r.isNullAt(c) ? "" : csv(text(r.get(c))));
      }
      out.println(String.join(",", values));
    }
  }

  private static String csv(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }

  static String text(Object value) {
    return value == null ? "NULL" : String.valueOf(value);
  }

  private static String firstLine(String statement) {
    String line = statement.lines().findFirst().orElse("");
    return line.length() > 100 ? line.substring(0, 97) + "..." : line;
  }

  private static String firstLineOf(String message) {
    return message == null ? "" : message.strip().lines().findFirst().orElse("");
  }
}
