package io.fraudlake.spark;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.LogicalRDD;
import org.apache.spark.storage.StorageLevel;

/**
 * A micro-batch's rows computed once and kept in the executors' block stores, for the several
 * jobs of one {@code foreachBatch} (counts, appends, scoring) to read without computing them again.
 *
 * <p>The rows are kept as Spark's own binary rows (a local checkpoint), not in the columnar cache
 * of {@link Dataset#persist}: a cache of a few thousand rows read three or four times costs more to
 * encode and compress than it saves. The rows have no lineage: should an executor holding them be
 * lost, the batch fails and the stream replays it from its checkpoint, which writes nothing twice.
 */
public final class BatchRows implements AutoCloseable {
  private final Dataset<Row> rows;
  private final RDD<?> blocks;

  private BatchRows(Dataset<Row> rows, RDD<?> blocks) {
    this.rows = rows;
    this.blocks = blocks;
  }

  /** Computes {@code rows} now (one job) and keeps them until {@link #close}. */
  public static BatchRows of(Dataset<Row> rows) {
    Dataset<Row> kept = rows.localCheckpoint(true, StorageLevel.MEMORY_AND_DISK());
    RDD<?> blocks = kept.queryExecution().analyzed() instanceof LogicalRDD logical ? logical.rdd() : null;
    return new BatchRows(kept, blocks);
  }

  public Dataset<Row> rows() {
    return rows;
  }

  /**
   * Frees the executors' copies; the caller makes sure no job still reads them. Through the
   * context rather than {@code RDD.unpersist}, which warns on every call that a local checkpoint
   * cannot be recomputed: true, and the reason these rows are dropped only once the batch is done.
   */
  @Override
  public void close() {
    if (blocks != null) {
      blocks.sparkContext().unpersistRDD(blocks.id(), false);
    }
  }
}
