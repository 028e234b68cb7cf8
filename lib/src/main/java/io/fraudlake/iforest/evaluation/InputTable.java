package io.fraudlake.iforest.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.trim;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads what a user points an evaluation at: a CSV file (with or without a header row; {@code #}
 * lines are comments, as in the ODDS files), Parquet, a Delta folder, or a catalog table.
 */
public final class InputTable {
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*){0,2}");
  private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?|[-+]?(NaN|Infinity)");

  public enum Format { AUTO, CSV, PARQUET, DELTA, TABLE }

  private InputTable() {}

  public static Dataset<Row> read(SparkSession spark, String input, Format format) {
    Format resolved = format == Format.AUTO ? detect(spark, input) : format;
    return switch (resolved) {
      case CSV -> readCsv(spark, input);
      case PARQUET -> spark.read().parquet(input);
      case DELTA -> spark.read().format("delta").load(input);
      case TABLE -> spark.table(input);
      case AUTO -> throw new IllegalStateException("unreachable");
    };
  }

  static Format detect(SparkSession spark, String input) {
    Path path = new Path(input);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(path)) {
        FileStatus status = fs.getFileStatus(path);
        String name = path.getName().toLowerCase(Locale.ROOT);
        if (status.isDirectory()) {
          if (fs.exists(new Path(path, "_delta_log"))) {
            return Format.DELTA;
          }
          for (FileStatus child : fs.listStatus(path)) {
            String childName = child.getPath().getName().toLowerCase(Locale.ROOT);
            if (childName.endsWith(".parquet")) {
              return Format.PARQUET;
            }
            if (childName.endsWith(".csv")) {
              return Format.CSV;
            }
          }
          throw new FraudLakeException("cannot tell the format of folder " + input
              + " (no _delta_log, .parquet or .csv inside); pass --format");
        }
        if (name.endsWith(".parquet")) {
          return Format.PARQUET;
        }
        if (name.endsWith(".csv") || name.endsWith(".csv.gz") || name.endsWith(".txt")) {
          return Format.CSV;
        }
        throw new FraudLakeException("cannot tell the format of " + input + " from its name; pass --format");
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot read " + input + ": " + e.getMessage(), e);
    }
    if (TABLE_NAME.matcher(input).matches() && spark.catalog().tableExists(input)) {
      return Format.TABLE;
    }
    throw new FraudLakeException("input not found: " + input + " is neither a file, a folder nor a table");
  }

  private static Dataset<Row> readCsv(SparkSession spark, String input) {
    List<String> firstLines = spark.read().textFile(input)
        .filter(trim(col("value")).notEqual("").and(col("value").startsWith("#").unary_$bang()))
        .limit(1)
        .collectAsList();
    if (firstLines.isEmpty()) {
      throw new FraudLakeException("input " + input + " has no data lines");
    }
    boolean header = false;
    for (String field : firstLines.get(0).split(",", -1)) {
      String value = field.trim().replace("\"", "");
      if (!value.isEmpty() && !NUMBER.matcher(value).matches()) {
        header = true;
      }
    }
    return spark.read()
        .option("header", header)
        .option("inferSchema", true)
        .option("comment", "#")
        .csv(input);
  }
}
