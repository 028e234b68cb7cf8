package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.bronze.BronzeParser;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;

/** The calculator alone, without Spark: context rows count in windows but are not emitted. */
class WindowFeaturesTest {
  private static final WindowFeatures CALC = new WindowFeatures(300, 1000.0);

  private static Row event(String id, String iso, double amount, String product, boolean emit) {
    Object[] values = {id, Timestamp.from(Instant.parse(iso)), "c", amount, product, "US", "US", 0, null, "f", null,
        false, emit};
    return new GenericRowWithSchema(values, BronzeParser.BRONZE_SCHEMA
        .add("arrived_late", DataTypes.BooleanType).add("_emit", DataTypes.BooleanType));
  }

  private static Object get(Row row, String column) {
    return row.get(SilverJob.SILVER_SCHEMA.fieldIndex(column));
  }

  @Test
  void contextRowsFillWindowsButOnlyEmittedRowsComeOut() {
    List<Row> in = List.of(
        event("b", "2024-01-01T00:04:00Z", 30, "X", true),
        event("a", "2024-01-01T00:00:00Z", 10, "Y", false),
        event("c", "2024-01-01T00:09:00.5Z", 2000, "X", true));
    List<Row> out = new ArrayList<>();
    Iterator<Row> it = CALC.compute(in.iterator());
    it.forEachRemaining(out::add);
    assertEquals(2, out.size());
    Row b = out.get(0);
    assertEquals("b", b.getString(0));
    assertEquals(2L, (Long) get(b, "txn_count_5min"));
    assertEquals(20.0, (Double) get(b, "avg_amount_5min"));
    assertEquals(2L, (Long) get(b, "product_diversity_5min"));
    Row c = out.get(1);
    assertEquals(1L, (Long) get(c, "txn_count_5min"), "b is 300.5 s earlier");
    assertEquals(0.0, (Double) get(c, "stddev_amount_5min"));
    assertEquals(1, (Integer) get(c, "is_high_value_txn"));
  }

  @Test
  void internationalNeedsBothCountriesKnownAndDifferent() {
    assertTrue(WindowFeatures.international("US", "CA"));
    assertFalse(WindowFeatures.international("US", " us "));
    assertFalse(WindowFeatures.international(null, "CA"));
    assertFalse(WindowFeatures.international("US", ""));
  }
}
