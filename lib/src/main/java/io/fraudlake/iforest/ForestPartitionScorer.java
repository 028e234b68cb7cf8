package io.fraudlake.iforest;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
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
 */
final class ForestPartitionScorer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;
  // Spark ML's VectorUDT stores a vector as struct<type: byte, size: int, indices: array<int>, values: array<double>>.
  private static final int VECTOR_FIELDS = 4;
  private static final byte SPARSE = 0;

  private final Broadcast<ForestArrays> forest;
  private final StructType inputSchema;
  private final int featuresIndex;
  private final String featuresCol;
  private final double threshold;

  ForestPartitionScorer(Broadcast<ForestArrays> forest, StructType inputSchema, String featuresCol, double threshold) {
    this.forest = forest;
    this.inputSchema = inputSchema;
    this.featuresIndex = inputSchema.fieldIndex(featuresCol);
    this.featuresCol = featuresCol;
    this.threshold = threshold;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    return new Blocks(rows, new FlatForest(forest.value()));
  }

  private final class Blocks implements Iterator<InternalRow> {
    private final Iterator<InternalRow> input;
    private final FlatForest scorer;
    private final int width;
    private final UnsafeProjection toUnsafe = UnsafeProjection.create(inputSchema);
    private final UnsafeRow[] buffered = new UnsafeRow[FlatForest.BLOCK_ROWS];
    private final boolean[] hasFeatures = new boolean[FlatForest.BLOCK_ROWS];
    private final double[] block;
    private final double[] blockScores = new double[FlatForest.BLOCK_ROWS];
    private final double[] scores = new double[FlatForest.BLOCK_ROWS];
    private final FlatForest.BlockWalk walk = new FlatForest.BlockWalk();
    // Typed slots: setDouble/setBoolean store primitives, where a generic row would box every score.
    private final SpecificInternalRow appended = new SpecificInternalRow(
        new StructType().add("score", DataTypes.DoubleType).add("prediction", DataTypes.BooleanType));
    private final JoinedRow out = new JoinedRow();
    private int size;
    private int position;

    Blocks(Iterator<InternalRow> input, FlatForest scorer) {
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
      scorer.scoreBlock(block, scored, blockScores, walk);
      // Rows without a vector were left out of the block; they get no score.
      for (int i = 0, k = 0; i < size; i++) {
        scores[i] = hasFeatures[i] ? blockScores[k++] : Double.NaN;
      }
    }

    private void readVector(InternalRow vector, double[] into, int offset) {
      ArrayData values = vector.getArray(3);
      if (vector.getByte(0) == SPARSE) {
        ForestScoreFunction.checkSize(featuresCol, vector.getInt(1), width);
        java.util.Arrays.fill(into, offset, offset + width, 0.0);
        ArrayData indices = vector.getArray(2);
        for (int k = 0; k < values.numElements(); k++) {
          into[offset + indices.getInt(k)] = ForestScoreFunction.checkFinite(featuresCol, values.getDouble(k), indices.getInt(k));
        }
        return;
      }
      ForestScoreFunction.checkSize(featuresCol, values.numElements(), width);
      for (int f = 0; f < width; f++) {
        into[offset + f] = ForestScoreFunction.checkFinite(featuresCol, values.getDouble(f), f);
      }
    }
  }
}
