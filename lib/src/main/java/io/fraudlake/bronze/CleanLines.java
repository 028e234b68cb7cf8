package io.fraudlake.bronze;

import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Marks the lines {@link CleanEventParser} reads in one pass and adds their fields, so that
 * {@link BronzeParser} builds a VARIANT and asks it for each field's type only for the others.
 * Appends {@code _clean} and one {@code _c_<field>} column per known field (the event time in
 * microseconds) to the lines' own columns.
 */
final class CleanLines implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  static final String CLEAN = "_clean";
  private static final StructType FIELDS = fields();

  private final int valueIndex;
  private final int width;

  private CleanLines(StructType lines) {
    this.valueIndex = lines.fieldIndex("value");
    this.width = lines.size();
  }

  /**
   * {@code _clean}, then {@code _c_<field>} for each of {@link BronzeParser#KNOWN_FIELDS} with its
   * bronze type, except the event time: microseconds since the epoch, which need no object per row.
   */
  private static StructType fields() {
    StructType fields = new StructType().add(CLEAN, DataTypes.BooleanType, false);
    for (String field : BronzeParser.KNOWN_FIELDS) {
      fields = fields.add("_c_" + field, field.equals("event_timestamp") ? DataTypes.LongType
          : BronzeParser.BRONZE_SCHEMA.apply(field).dataType());
    }
    return fields;
  }

  /** {@code lines} (with a string column {@code value}) and the clean-event columns. */
  static Dataset<Row> mark(Dataset<Row> lines) {
    StructType schema = lines.schema();
    StructType marked = schema;
    for (var field : FIELDS.fields()) {
      marked = marked.add(field);
    }
    return lines.mapPartitions(new CleanLines(schema), Encoders.row(marked));
  }

  /** {@code lines} with the clean-event columns all saying "not clean": the general path decides every line. */
  static Dataset<Row> none(Dataset<Row> lines) {
    Dataset<Row> marked = lines.withColumn(CLEAN, org.apache.spark.sql.functions.lit(false));
    for (var field : FIELDS.fields()) {
      if (!field.name().equals(CLEAN)) {
        marked = marked.withColumn(field.name(), org.apache.spark.sql.functions.lit(null).cast(field.dataType()));
      }
    }
    return marked;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public Row next() {
        Row line = input.next();
        Object[] values = new Object[width + FIELDS.size()];
        for (int i = 0; i < width; i++) {
          values[i] = line.get(i);
        }
        CleanEventParser.Event event = CleanEventParser.parse(line.getString(valueIndex));
        values[width] = event != null;
        if (event != null) {
          values[width + 1] = event.transactionId();
          values[width + 2] = event.eventMicros();
          values[width + 3] = event.cardId();
          values[width + 4] = event.amount();
          values[width + 5] = event.productCd();
          values[width + 6] = event.cardCountry();
          values[width + 7] = event.merchantCountry();
          values[width + 8] = event.isFraud();
        }
        return RowFactory.create(values);
      }
    };
  }
}
