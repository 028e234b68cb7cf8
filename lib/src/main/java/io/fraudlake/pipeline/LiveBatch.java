package io.fraudlake.pipeline;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeParser;
import io.fraudlake.silver.SilverEngine;
import io.fraudlake.silver.SilverSink;
import io.fraudlake.spark.BatchThreads;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One micro-batch of the live pipeline, given the {@link SilverEngine}'s output for it: the landing
 * lines as bronze and quarantine rows, and silver's new rows. Bronze, quarantine and silver are
 * appended side by side while silver's rows are scored into gold. Every append is tagged with
 * (writer id, batch id) ({@link DeltaWrites}), and Spark replays the engine's state and the batch's
 * time from its checkpoint, so a batch replayed after a crash, wherever it died, writes what the
 * first attempt would have and nothing twice.
 */
final class LiveBatch implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(LiveBatch.class);
  static final String SILVER_WRITER = "live-silver";
  private static final Column[] BRONZE_COLUMNS = columns(BronzeParser.BRONZE_SCHEMA.fieldNames());
  private static final Column[] QUARANTINE_COLUMNS = columns(BronzeParser.QUARANTINE_SCHEMA.fieldNames());

  private final transient Lakehouse lakehouse;
  private final transient SilverSink silver;
  private final transient VoidFunction2<Dataset<Row>, Long> scoring;

  LiveBatch(Lakehouse lakehouse, VoidFunction2<Dataset<Row>, Long> scoring) {
    this.lakehouse = lakehouse;
    this.silver = new SilverSink(lakehouse);
    this.scoring = scoring;
  }

  @Override
  public void call(Dataset<Row> output, Long batchId) throws Exception {
    long started = System.nanoTime();
    SparkSession spark = output.sparkSession();
    try (SilverSink.KeptOutput kept = SilverSink.keep(output, batchId)) {
      Dataset<Row> cached = kept.rows();
      Map<String, Long> kinds = kept.kinds();
      long counted = System.nanoTime();
      List<CompletableFuture<?>> writes = new ArrayList<>();
      if (kinds.get(SilverEngine.BRONZE) > 0) {
        writes.add(BatchThreads.run("fraudlake-live-bronze", () -> DeltaWrites.appendOnce(lakehouse,
            oneTask(SilverEngine.ofKind(cached, SilverEngine.BRONZE).select(BRONZE_COLUMNS)), Tables.BRONZE,
            BronzeJob.writerId(spark, Tables.BRONZE), batchId)));
      }
      if (kinds.get(SilverEngine.QUARANTINE) > 0) {
        writes.add(BatchThreads.run("fraudlake-live-quarantine", () -> DeltaWrites.appendOnce(lakehouse,
            oneTask(SilverEngine.ofKind(cached, SilverEngine.QUARANTINE).select(QUARANTINE_COLUMNS)), Tables.QUARANTINE,
            BronzeJob.writerId(spark, Tables.QUARANTINE), batchId)));
      }
      SilverSink.Written written = silver.write(cached, kinds, DeltaWrites.appId(spark, SILVER_WRITER), batchId);
      writes.add(written.append());
      try {
        if (written.written() > 0) {
          // The file path and the extra fields are silver's longest strings and no model reads them.
          scoring.call(oneTask(written.rows().drop("source_file", "extra_fields")), batchId);
        }
      } finally {
        try {
          BatchThreads.joinAll(writes);
        } finally {
          written.release();
        }
      }
      LOG.debug("live batch {}: {} lines, {} quarantined, {} to silver ({} late), {} duplicates; engine {} ms, writes and scoring {} ms",
          batchId, kinds.get(SilverEngine.BRONZE) + kinds.get(SilverEngine.QUARANTINE), kinds.get(SilverEngine.QUARANTINE),
          written.written(), written.late(), kinds.get(SilverEngine.DUPLICATE) + written.lateDuplicates(),
          (counted - started) / 1_000_000, (System.nanoTime() - counted) / 1_000_000);
    }
  }

  /**
   * A micro-batch's rows of one table in one partition: a few thousand rows split over the state
   * store's partitions would cost a task and a small file each and save nothing.
   */
  private static Dataset<Row> oneTask(Dataset<Row> rows) {
    return rows.coalesce(1);
  }

  private static Column[] columns(String[] names) {
    return Arrays.stream(names).map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }
}
