package io.fraudlake.sql;

import io.fraudlake.FraudLakeException;
import io.fraudlake.spark.Lakehouse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Runs SQL statements against the lakehouse (contract table names registered first) and prints
 * each result. With a row limit, only that many rows (and one more, to tell that there are more)
 * reach the driver and the output says when more exist. Without one, csv and json stream every row
 * out one partition at a time, so a table of any size can be exported; the table format, which
 * must hold its rows to size the columns, shows at most {@link #TABLE_MAX_ROWS} and says so.
 */
public final class SqlRunner {
  /** Rows the table format shows at most, whatever the limit. */
  public static final int TABLE_MAX_ROWS = 10_000;

  private final Lakehouse lakehouse;
  private final ResultFormat format;
  private final RowLimit limit;
  private final PrintStream out;

  public SqlRunner(Lakehouse lakehouse, ResultFormat format, RowLimit limit, PrintStream out) {
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
    if (format == ResultFormat.TABLE) {
      printTable(columns, result);
    } else {
      printLines(columns, result);
    }
  }

  private void printTable(String[] columns, Dataset<Row> result) {
    int cap = limit.isAll() ? TABLE_MAX_ROWS : Math.min(limit.rows(), TABLE_MAX_ROWS);
    List<Row> rows = result.limit(cap + 1).collectAsList();
    boolean more = rows.size() > cap;
    int shown = Math.min(rows.size(), cap);
    printGrid(columns, rows.subList(0, shown));
    if (!more) {
      out.println(String.format(Locale.ROOT, "(%,d row%s)", shown, shown == 1 ? "" : "s"));
    } else if (!limit.isAll() && limit.rows() == cap) {
      out.println(String.format(Locale.ROOT, "(first %,d rows; --limit shows more)", cap));
    } else {
      out.println(String.format(Locale.ROOT, "(first %,d rows: the table format shows no more; --format csv or json prints them all)",
          cap));
    }
  }

  /** csv or json, one line per row, streamed: a partition at a time reaches the driver. */
  private void printLines(String[] columns, Dataset<Row> result) {
    Dataset<Row> read = limit.isAll() ? result : result.limit(limit.rows() + 1);
    Iterator<String> lines;
    if (format == ResultFormat.JSON) {
      // Spark's own JSON writer keeps types (numbers stay numbers, nested values nest).
      lines = read.toJSON().toLocalIterator();
    } else {
      out.println(Arrays.stream(columns).map(SqlRunner::csv).collect(Collectors.joining(",")));
      Iterator<Row> rows = read.toLocalIterator();
      lines = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public String next() {
          return csvLine(rows.next(), columns.length);
        }
      };
    }
    long shown = 0;
    while (lines.hasNext()) {
      String line = lines.next();
      if (!limit.isAll() && shown == limit.rows()) {
        System.err.println(String.format(Locale.ROOT, "sql: output cut at %,d rows; --limit all prints every row", shown));
        return;
      }
      out.println(line);
      shown++;
    }
  }

  private void printGrid(String[] columns, List<Row> rows) {
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

  private static String csvLine(Row row, int width) {
    List<String> values = new ArrayList<>(width);
    for (int c = 0; c < width; c++) {
      values.add(row.isNullAt(c) ? "" : csv(text(row.get(c))));
    }
    return String.join(",", values);
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
