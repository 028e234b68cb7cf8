package io.fraudlake.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL text into statements. Accepts Databricks source-format notebooks (first line
 * {@code -- Databricks notebook source}, cells separated by {@code -- COMMAND ----------},
 * {@code -- MAGIC} lines are markdown or other languages and are skipped) as well as plain SQL.
 * Statements end at a semicolon outside quotes and comments, or at the end of a cell.
 */
public final class SqlScript {
  public static final String NOTEBOOK_HEADER = "-- Databricks notebook source";
  public static final String CELL_SEPARATOR = "-- COMMAND ----------";

  private SqlScript() {}

  public static List<String> statements(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    for (String line : text.split("\\R", -1)) {
      String trimmed = line.trim();
      if (trimmed.equals(NOTEBOOK_HEADER) || trimmed.startsWith("-- MAGIC")) {
        continue;
      }
      if (trimmed.startsWith(CELL_SEPARATOR)) {
        splitCell(cell.toString(), out);
        cell.setLength(0);
        continue;
      }
      cell.append(line).append('\n');
    }
    splitCell(cell.toString(), out);
    return out;
  }

  private static void splitCell(String cell, List<String> out) {
    StringBuilder current = new StringBuilder();
    int i = 0;
    char quote = 0;
    while (i < cell.length()) {
      char c = cell.charAt(i);
      if (quote != 0) {
        current.append(c);
        if (c == '\\' && i + 1 < cell.length()) {
          current.append(cell.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"' || c == '`') {
        quote = c;
        current.append(c);
      } else if (c == '-' && i + 1 < cell.length() && cell.charAt(i + 1) == '-') {
        int end = cell.indexOf('\n', i);
        i = end < 0 ? cell.length() : end;
        current.append('\n');
      } else if (c == '/' && i + 1 < cell.length() && cell.charAt(i + 1) == '*') {
        int end = cell.indexOf("*/", i + 2);
        i = end < 0 ? cell.length() : end + 1;
        current.append(' ');
      } else if (c == ';') {
        add(current, out);
      } else {
        current.append(c);
      }
      i++;
    }
    add(current, out);
  }

  private static void add(StringBuilder statement, List<String> out) {
    String s = statement.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    statement.setLength(0);
  }
}
