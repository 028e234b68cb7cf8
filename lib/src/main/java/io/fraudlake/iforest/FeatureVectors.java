package io.fraudlake.iforest;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;

/**
 * Reads ML vectors straight from Spark's internal rows (VectorUDT's struct: type byte, size, indices,
 * values), so that training passes over every row do not build a Vector object per row.
 */
final class FeatureVectors {
  private static final byte SPARSE = 0;

  private FeatureVectors() {}

  static int width(InternalRow vector) {
    return vector.getByte(0) == SPARSE ? vector.getInt(1) : vector.getArray(3).numElements();
  }

  /** The position of the first NaN or infinite value, or -1 when all are finite. */
  static int firstNonFinite(InternalRow vector) {
    ArrayData values = vector.getArray(3);
    for (int i = 0; i < values.numElements(); i++) {
      if (!Double.isFinite(values.getDouble(i))) {
        return vector.getByte(0) == SPARSE ? vector.getArray(2).getInt(i) : i;
      }
    }
    return -1;
  }

  static double[] toArray(InternalRow vector, int width) {
    double[] out = new double[width];
    ArrayData values = vector.getArray(3);
    if (vector.getByte(0) == SPARSE) {
      ArrayData indices = vector.getArray(2);
      for (int i = 0; i < values.numElements(); i++) {
        out[indices.getInt(i)] = values.getDouble(i);
      }
    } else {
      for (int i = 0; i < width; i++) {
        out[i] = values.getDouble(i);
      }
    }
    return out;
  }
}
