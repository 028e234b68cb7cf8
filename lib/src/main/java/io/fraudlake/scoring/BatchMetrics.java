package io.fraudlake.scoring;

import java.sql.Timestamp;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/** One row of fraud_batch_metrics: what a scoring micro-batch wrote and how long it took. */
public record BatchMetrics(
    String queryId,
    long batchId,
    long rows,
    long anomalies,
    Double meanScore,
    String modelName,
    String modelVersion,
    double processingSeconds,
    Timestamp minEventTime,
    Timestamp maxEventTime,
    Timestamp scoredAt) {

  public double anomalyRate() {
    return rows == 0 ? 0.0 : (double) anomalies / rows;
  }

  /** Seconds between the newest event of the batch and the moment it was scored. */
  public Double lagSeconds() {
    return maxEventTime == null ? null : (scoredAt.getTime() - maxEventTime.getTime()) / 1000.0;
  }

  public double rowsPerSecond() {
    return processingSeconds <= 0 ? 0.0 : rows / processingSeconds;
  }

  Row toRow() {
    return RowFactory.create(queryId, batchId, rows, anomalies, anomalyRate(), meanScore, modelName, modelVersion,
        processingSeconds, minEventTime, maxEventTime, lagSeconds(), scoredAt);
  }

  Dataset<Row> toDataFrame(SparkSession spark) {
    return spark.createDataFrame(List.of(toRow()), GoldSchema.BATCH_METRICS);
  }
}
