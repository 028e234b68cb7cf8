package io.fraudlake.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.sql.Timestamp;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.metrics.source.CodegenMetrics;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class BatchValuesTest {
  private static long compilations() {
    return CodegenMetrics.METRIC_COMPILATION_TIME().getCount();
  }

  /** A small per-batch plan: rows before the value, and the value as a column. */
  private static List<Row> run(Function<Timestamp, Column> value, Timestamp t) {
    SparkSession spark = SharedSpark.session();
    return spark.range(5).select(col("id"), col("id").cast("timestamp").as("ts"))
        .where(col("ts").lt(value.apply(t)))
        .select(col("id"), value.apply(t).as("v"))
        .collectAsList();
  }

  @Test
  void theValueComesThroughUnchanged() {
    Timestamp t = Timestamp.valueOf("1970-01-01 00:00:03.123456");
    List<Row> rows = run(BatchValues::timestamp, t);
    assertEquals(List.of(0L, 1L, 2L, 3L), rows.stream().map(r -> r.getLong(0)).toList());
    rows.forEach(r -> assertEquals(t, r.getTimestamp(1)));
  }

  @Test
  void aNewValueReusesTheCompiledCodeWhereALiteralIsCompiledAgain() {
    run(BatchValues::timestamp, new Timestamp(2_000));
    long before = compilations();
    run(BatchValues::timestamp, new Timestamp(4_000));
    run(BatchValues::timestamp, new Timestamp(3_000));
    assertEquals(before, compilations(), "the same stage is compiled once, whatever the value");

    run(t -> lit(t), new Timestamp(2_000));
    long literal = compilations();
    run(t -> lit(t), new Timestamp(4_000));
    assertTrue(compilations() > literal, "Spark writes a timestamp literal into the generated code");
  }
}
