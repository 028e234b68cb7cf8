package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.monitoring.FeatureDrift;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.training.FeatureReference;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The drift step of a scoring batch: measures the batch's features against the training data of the
 * model that scored it ({@link FeatureDrift}, with that model's {@link FeatureReference}), appends one
 * fraud_feature_drift row per feature exactly once, and logs one warning per drifted feature.
 *
 * <p>Batches under {@code monitoring.min-drift-rows} rows are not measured and get no rows: the PSI
 * of a sample drawn from the training distribution itself is about (bins − 1) / rows, 0.018 for 500
 * rows in 10 bins but 0.18 for 50, so small batches would raise alarms about nothing. The first
 * such batch is logged at INFO, later ones at DEBUG. A model without a reference (a bare saved
 * pipeline) gets no rows either, and one INFO line when it starts scoring.
 */
final class DriftMonitor {
  private static final Logger LOG = LogManager.getLogger(DriftMonitor.class);

  private final Lakehouse lakehouse;
  private final double threshold;
  private final long minRows;
  /** The model {@link #drift} was built for; a new version brings its own reference. */
  private ScoringModel measuredModel;
  /** Null while the model in hand has no usable reference. */
  private FeatureDrift drift;
  private boolean smallBatchReported;

  DriftMonitor(Lakehouse lakehouse) {
    FraudLakeConfig config = lakehouse.config();
    this.lakehouse = lakehouse;
    this.threshold = config.decimal("monitoring.psi-threshold");
    this.minRows = config.longValue("monitoring.min-drift-rows");
    if (!(threshold > 0)) {
      throw new FraudLakeException("fraudlake.monitoring.psi-threshold must be above 0, not " + threshold);
    }
    if (minRows < 1) {
      throw new FraudLakeException("fraudlake.monitoring.min-drift-rows must be at least 1, not " + minRows);
    }
  }

  /** Whether batches scored by {@code model} are measured (it has a feature reference of its inputs). */
  boolean measures(ScoringModel model) {
    return driftFor(model) != null;
  }

  /**
   * Measures the features of {@code batch} (the rows {@code model} scored) and appends its drift
   * rows under the batch's Delta transaction id, so a replayed batch adds none. The batch's row
   * count and event-time range come from the same pass, so this needs nothing of gold's write and
   * can run beside it.
   *
   * @return the PSI of each judged feature and the drifted ones; {@link BatchDrift#NOT_MEASURED} when
   *     the batch was not measured
   */
  BatchDrift record(Dataset<Row> batch, ScoringModel model, String queryId, String appId, long batchId) {
    FeatureDrift d = driftFor(model);
    if (d == null) {
      return BatchDrift.NOT_MEASURED;
    }
    FeatureDrift.Measurement measured = d.measure(batch, GoldSchema.EVENT_TIMESTAMP);
    long rows = measured.rows();
    if (rows == 0) {
      return BatchDrift.NOT_MEASURED;
    }
    if (rows < minRows) {
      if (!smallBatchReported) {
        LOG.info("batch {} has {} rows, fewer than monitoring.min-drift-rows ({}): batches this small get no "
            + "fraud_feature_drift rows (too noisy); lower the setting or use a longer trigger to measure them", batchId,
            rows, minRows);
        smallBatchReported = true;
      } else {
        LOG.debug("batch {}: {} rows, no drift measured (min {})", batchId, rows, minRows);
      }
      return BatchDrift.NOT_MEASURED;
    }
    Timestamp computedAt = new Timestamp(System.currentTimeMillis());
    List<Row> out = new ArrayList<>();
    List<String> drifted = new ArrayList<>();
    Map<String, Double> psiByFeature = new LinkedHashMap<>();
    for (FeatureDrift.FeatureShift shift : measured.shifts()) {
      // A feature null on most of the batch is as noisy as a small batch: recorded, not judged.
      Double psi = shift.rows() >= minRows ? shift.psi() : null;
      Boolean isDrifted = psi == null ? null : psi >= threshold;
      if (psi != null) {
        psiByFeature.put(shift.feature(), psi);
      }
      if (Boolean.TRUE.equals(isDrifted)) {
        drifted.add(shift.feature());
        LOG.warn(String.format(java.util.Locale.ROOT,
            "feature drift: %s PSI %.3f >= %.3f in batch %d (%d rows) scored by %s; batch mean %s, training mean %s",
            shift.feature(), psi, threshold, batchId, shift.rows(), model.label(), shift.batchMean(), shift.referenceMean()));
      }
      out.add(RowFactory.create(queryId, batchId, model.name(), model.version(), shift.feature(), shift.rows(), psi,
          threshold, isDrifted, shift.batchMean(), finiteOrNull(shift.referenceMean()), boxed(shift.batchShares()),
          boxed(shift.referenceShares()), measured.earliest(), measured.latest(), computedAt));
    }
    DeltaWrites.appendOnce(lakehouse, lakehouse.spark().createDataFrame(out, GoldSchema.FEATURE_DRIFT),
        Tables.FEATURE_DRIFT, appId, batchId);
    return new BatchDrift(psiByFeature, drifted);
  }

  private FeatureDrift driftFor(ScoringModel model) {
    if (model != measuredModel) {
      measuredModel = model;
      drift = driftOf(model);
    }
    return drift;
  }

  private static FeatureDrift driftOf(ScoringModel model) {
    if (model.featureReference().isEmpty()) {
      LOG.info("{} has no {}: no feature drift is measured while it scores", model.label(), FeatureReference.FILE_NAME);
      return null;
    }
    FeatureDrift drift = model.featureDrift().orElse(null);
    if (drift == null) {
      LOG.info("the {} of {} describes none of its inputs: no feature drift is measured while it scores",
          FeatureReference.FILE_NAME, model.label());
    }
    return drift;
  }

  private static Double finiteOrNull(double value) {
    return Double.isFinite(value) ? value : null;
  }

  private static List<Double> boxed(double[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
