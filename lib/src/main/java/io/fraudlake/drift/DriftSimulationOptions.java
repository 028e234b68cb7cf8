package io.fraudlake.drift;

import io.fraudlake.FraudLakeException;

/**
 * What {@code simulate-drift} replays.
 *
 * @param batches production batches after the reference period, one simulated day each
 * @param rowsPerBatch transactions per batch; the reference period holds {@value #REFERENCE_DAYS} times as many
 * @param seed generator seed: the same seed and options give the same data, models and figures
 * @param retrain whether a drift trigger trains a challenger and, if the promotion gate passes, moves @prod
 * @param recentBatches how many batches before the trigger a challenger trains on; a retrain also waits that
 *     many batches after the previous one
 * @param modelName the registered model the simulation's versions go to (kept apart from the real model, so
 *     a simulation never moves the @prod that {@code score} and {@code serve} use)
 */
public record DriftSimulationOptions(int batches, long rowsPerBatch, long seed, boolean retrain, int recentBatches,
    String modelName) {
  public static final int DEFAULT_BATCHES = 10;
  public static final long DEFAULT_ROWS_PER_BATCH = 20_000;
  public static final long DEFAULT_SEED = 42;
  public static final int DEFAULT_RECENT_BATCHES = 3;
  /** Days (and batch sizes) of data the first model is trained on. */
  public static final int REFERENCE_DAYS = 3;
  /** Suffix of the simulation's model name after {@code model.name}. */
  public static final String MODEL_SUFFIX = "_drift_simulation";

  public DriftSimulationOptions {
    if (batches < 2) {
      throw new FraudLakeException("--batches must be at least 2, got " + batches);
    }
    if (rowsPerBatch <= 0) {
      throw new FraudLakeException("--rows-per-batch must be positive, got " + rowsPerBatch);
    }
    if (recentBatches < 1 || recentBatches > batches) {
      throw new FraudLakeException("--recent-batches must be between 1 and --batches (" + batches + "), got "
          + recentBatches);
    }
    if (modelName == null || modelName.isBlank()) {
      throw new FraudLakeException("--model-name must not be empty");
    }
  }
}
