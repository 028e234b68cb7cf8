package io.fraudlake.silver;

import io.fraudlake.bronze.BronzeParser;
import java.io.Serializable;
import java.util.Comparator;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Which copy of a TransactionID silver keeps, for rows in bronze's column order: the first ingested
 * (ingested_at, then source_file), ties broken on the row's content. This is the order of {@link
 * SilverJob#firstCopies}, every column ascending with nulls last and strings in Spark's order (by
 * code point, as their UTF-8 bytes compare), so the stream keeps the copy the batch keeps.
 */
final class FirstCopyOrder implements Comparator<Row>, Serializable {
  private static final long serialVersionUID = 1L;
  static final FirstCopyOrder INSTANCE = new FirstCopyOrder();

  /** Bronze's columns in the order they decide: ingest first, then the content, TransactionID aside. */
  private static final String[] ORDER = SilverJob.firstCopyOrder();
  private static final int[] FIELDS = java.util.Arrays.stream(ORDER).mapToInt(BronzeParser.BRONZE_SCHEMA::fieldIndex).toArray();

  private FirstCopyOrder() {}

  @Override
  public int compare(Row a, Row b) {
    for (int f : FIELDS) {
      int c = compareField(BronzeParser.BRONZE_SCHEMA.fields()[f], a, b, f);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  private static int compareField(StructField field, Row a, Row b, int i) {
    boolean aNull = a.isNullAt(i);
    boolean bNull = b.isNullAt(i);
    if (aNull || bNull) {
      return aNull == bNull ? 0 : aNull ? 1 : -1;
    }
    if (field.dataType().equals(DataTypes.StringType)) {
      return compareCodePoints(a.getString(i), b.getString(i));
    }
    if (field.dataType().equals(DataTypes.TimestampType)) {
      return Long.compare(WindowFeatures.micros(a.get(i)), WindowFeatures.micros(b.get(i)));
    }
    if (field.dataType().equals(DataTypes.DoubleType)) {
      return Double.compare(a.getDouble(i), b.getDouble(i));
    }
    if (field.dataType().equals(DataTypes.IntegerType)) {
      return Integer.compare(a.getInt(i), b.getInt(i));
    }
    throw new IllegalStateException("no order for bronze column " + field.name() + " of type " + field.dataType());
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
