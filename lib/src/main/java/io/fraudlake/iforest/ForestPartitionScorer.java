package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scores one partition in blocks of {@link FlatForest#BLOCK_ROWS} rows: the rows are buffered (into
 * reused {@link UnsafeRow}s, so nothing is allocated per row once the buffers have grown), their
 * feature vectors copied into one contiguous array straight from Spark's internal vector struct, the
 * block scored tree by tree, and each row emitted with its score and prediction appended.
 *
 * <p>A per-row UDF cannot do this: it sees one row at a time, so every row walks all trees and the
 * whole forest passes through the caches per row, and each call deserialises a vector object and
 * boxes its result. This is what makes the Spark path approach the plain-Java bulk scorer.
 *
 * <p>The emitted rows are reused between calls to {@code next()}: the consumer, Spark's scan over
 * the resulting RDD, projects each row before asking for the next.
 *
 * <p>Any forest scores this way: it broadcasts its arrays ({@code A}) and says how a partition opens a
 * {@link BlockScorer} over them.
 */
public final class ForestPartitionScorer<A> implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;
  // Spark ML's VectorUDT stores a vector as struct<type: byte, size: int, indices: array<int>, values: array<double>>.
  private static final int VECTOR_FIELDS = 4;
  private static final byte SPARSE = 0;

  /** Rows per block: 64 rows of a few features fit in L1 beside one tree. */
  public static final int BLOCK_ROWS = FlatForest.BLOCK_ROWS;

  /** One partition's scorer: not shared between threads, so it may keep scratch space. */
  public interface BlockScorer {
    int numFeatures();

    /**
     * Scores {@code count} (at most {@link #BLOCK_ROWS}) finite rows laid out one after another in
     * {@code block} (row {@code i}'s feature {@code f} at {@code i * numFeatures() + f}) into
     * {@code out[0..count)}.
     */
    void scoreBlock(double[] block, int count, double[] out);
  }

  private final String model;
  private final Broadcast<A> forest;
  private final Function<A, BlockScorer> open;
  private final StructType inputSchema;
  private final int featuresIndex;
  private final String featuresCol;
  private final double threshold;

  /** {@code model} names the model class in error messages. */
  public ForestPartitionScorer(String model, Broadcast<A> forest, Function<A, BlockScorer> open, StructType inputSchema,
      String featuresCol, double threshold) {
    this.model = model;
    this.forest = forest;
    this.open = open;
    this.inputSchema = inputSchema;
    this.featuresIndex = inputSchema.fieldIndex(featuresCol);
    this.featuresCol = featuresCol;
    this.threshold = threshold;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) throws Exception {
    return new Blocks(rows, open.call(forest.value()));
  }

  /** The scoring paths' one error for a vector of the wrong size. */
  public static void checkSize(String model, String featuresCol, int size, int expected) {
    if (size != expected) {
      throw new FraudLakeException(model + ": column '" + featuresCol + "' has vectors of size "
          + size + " but the model was trained on " + expected + " features");
    }
  }

  /** The scoring paths' one error for NaN or an infinity; returns the value when it is finite. */
  public static double checkFinite(String model, String featuresCol, double value, int feature) {
    if (!Double.isFinite(value)) {
      throw new FraudLakeException(model + ": column '" + featuresCol + "' contains " + value
          + " at feature " + feature + "; fill or drop NaN and infinite values before scoring");
    }
    return value;
  }

  private final class Blocks implements Iterator<InternalRow> {
    private final Iterator<InternalRow> input;
    private final BlockScorer scorer;
    private final int width;
    private final UnsafeProjection toUnsafe = UnsafeProjection.create(inputSchema);
    private final UnsafeRow[] buffered = new UnsafeRow[FlatForest.BLOCK_ROWS];
    private final boolean[] hasFeatures = new boolean[FlatForest.BLOCK_ROWS];
    private final double[] block;
    private final double[] blockScores = new double[FlatForest.BLOCK_ROWS];
    private final double[] scores = new double[FlatForest.BLOCK_ROWS];
    // Typed slots: setDouble/setBoolean store primitives, where a generic row would box every score.
    private final SpecificInternalRow appended = new SpecificInternalRow(
        new StructType().add("score", DataTypes.DoubleType).add("prediction", DataTypes.BooleanType));
    private final JoinedRow out = new JoinedRow();
    private int size;
    private int position;

    Blocks(Iterator<InternalRow> input, BlockScorer scorer) {
      this.input = input;
      this.scorer = scorer;
      this.width = scorer.numFeatures();
      this.block = new double[FlatForest.BLOCK_ROWS * width];
      // copyFrom needs a row backed by a byte array; it grows the array when a longer row arrives.
      int initialBytes = UnsafeRow.calculateBitSetWidthInBytes(inputSchema.size()) + 8 * inputSchema.size();
      for (int i = 0; i < buffered.length; i++) {
        buffered[i] = new UnsafeRow(inputSchema.size());
        buffered[i].pointTo(new byte[initialBytes], initialBytes);
      }
    }

    @Override
    public boolean hasNext() {
      if (position < size) {
        return true;
      }
      fill();
      return size > 0;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int i = position++;
      if (hasFeatures[i]) {
        appended.setDouble(0, scores[i]);
        appended.setBoolean(1, scores[i] >= threshold);
      } else {
        appended.setNullAt(0);
        appended.setNullAt(1);
      }
      return out.apply(buffered[i], appended);
    }

    /** Reads the next block of rows and scores those that have a feature vector. */
    private void fill() {
      size = 0;
      position = 0;
      int scored = 0;
      while (size < FlatForest.BLOCK_ROWS && input.hasNext()) {
        InternalRow row = input.next();
        UnsafeRow copy = buffered[size];
        copy.copyFrom(row instanceof UnsafeRow unsafe ? unsafe : toUnsafe.apply(row));
        hasFeatures[size] = !copy.isNullAt(featuresIndex);
        if (hasFeatures[size]) {
          readVector(copy.getStruct(featuresIndex, VECTOR_FIELDS), block, scored * width);
          scored++;
        }
        size++;
      }
      if (scored == 0) {
        return;
      }
      scorer.scoreBlock(block, scored, blockScores);
      // Rows without a vector were left out of the block; they get no score.
      for (int i = 0, k = 0; i < size; i++) {
        scores[i] = hasFeatures[i] ? blockScores[k++] : Double.NaN;
      }
    }

    private void readVector(InternalRow vector, double[] into, int offset) {
      ArrayData values = vector.getArray(3);
      if (vector.getByte(0) == SPARSE) {
        checkSize(model, featuresCol, vector.getInt(1), width);
        java.util.Arrays.fill(into, offset, offset + width, 0.0);
        ArrayData indices = vector.getArray(2);
        for (int k = 0; k < values.numElements(); k++) {
          into[offset + indices.getInt(k)] = checkFinite(model, featuresCol, values.getDouble(k), indices.getInt(k));
        }
        return;
      }
      checkSize(model, featuresCol, values.numElements(), width);
      for (int f = 0; f < width; f++) {
        into[offset + f] = checkFinite(model, featuresCol, values.getDouble(f), f);
      }
    }
  }
}
