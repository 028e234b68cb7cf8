package io.fraudlake.autoencoder;

import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.DetectorChecks;
import io.fraudlake.iforest.IsolationForestParams;
import java.util.Arrays;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * An autoencoder anomaly detector as a Spark ML estimator: a symmetric network (hiddenLayers [6, 3]
 * on 8 features is 8-6-3-6-8, tanh hidden units, linear output) trained with Adam to reconstruct
 * its input, the standardized feature vector. Rows unlike the training data reconstruct badly and
 * score high (see {@link ReconstructionScorer} for the score). Training stays distributed (see
 * {@link AutoencoderTrainer}); unless a threshold is set, the model's threshold is the
 * (1 − contamination) quantile of the training scores.
 *
 * <p>Params are validated by the setters and again by {@link #fit}, so a bad value fails with one
 * line naming it, whichever way it was set.
 */
public final class Autoencoder extends Estimator<AutoencoderModel> implements AutoencoderParams, MLWritable {
  private static final long serialVersionUID = 1L;
  /**
   * Above this many training rows the median error and the threshold come from a seeded sample of
   * about this many rows: exact quantiles of 200k errors place the 96.5% quantile within about 0.04
   * percentage points of rank, without a second full scoring pass.
   */
  static final long ERROR_SAMPLE_ROWS = 200_000;

  private final String uid;
  private final IntArrayParam hiddenLayers;
  private final IntParam maxIter;
  private final DoubleParam stepSize;
  private final IntParam batchSize;
  private final LongParam seed;
  private final DoubleParam contamination;
  private final DoubleParam threshold;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;

  public Autoencoder() {
    this(Identifiable$.MODULE$.randomUID("autoencoder"));
  }

  /** Spark's readers create stages through this constructor. */
  public Autoencoder(String uid) {
    this.uid = uid;
    hiddenLayers = new IntArrayParam(this, "hiddenLayers",
        "widths of the encoder's hidden layers, outermost first; the decoder mirrors them (each >= 1)");
    maxIter = new IntParam(this, "maxIter", "training epochs, passes over the training rows (>= 1)");
    stepSize = new DoubleParam(this, "stepSize", "Adam learning rate (> 0)");
    batchSize = new IntParam(this, "batchSize",
        "rows per mini-batch (>= 1); at least the row count means full-batch training");
    seed = new LongParam(this, "seed", "random seed (initial weights, batch order, error sample)");
    contamination = new DoubleParam(this, "contamination",
        "expected fraction of anomalies, in (0, 0.5]; sets the threshold when none is given");
    threshold = new DoubleParam(this, "threshold",
        "explicit score threshold; when unset, the (1 - contamination) quantile of training scores");
    Param<String>[] columns = AutoencoderParams.columnParams(this);
    featuresCol = columns[0];
    scoreCol = columns[1];
    predictionCol = columns[2];
    setDefault(hiddenLayers, new int[] {6, 3});
    setDefault(maxIter, 20);
    setDefault(stepSize, 0.01);
    setDefault(batchSize, 8192);
    setDefault(seed, 42L);
    setDefault(contamination, 0.035);
    setDefault(featuresCol, IsolationForestParams.DEFAULT_FEATURES_COL);
    setDefault(scoreCol, IsolationForestParams.DEFAULT_SCORE_COL);
    setDefault(predictionCol, IsolationForestParams.DEFAULT_PREDICTION_COL);
  }

  @Override
  public String uid() {
    return uid;
  }

  public IntArrayParam hiddenLayers() {
    return hiddenLayers;
  }

  public IntParam maxIter() {
    return maxIter;
  }

  public DoubleParam stepSize() {
    return stepSize;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public LongParam seed() {
    return seed;
  }

  public DoubleParam contamination() {
    return contamination;
  }

  /** Named so, not {@code threshold()}, to match {@link AutoencoderModel#threshold()}, a value. */
  public DoubleParam thresholdParam() {
    return threshold;
  }

  @Override
  public Param<String> featuresCol() {
    return featuresCol;
  }

  @Override
  public Param<String> scoreCol() {
    return scoreCol;
  }

  @Override
  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Autoencoder setHiddenLayers(int... value) {
    set(hiddenLayers, checkHiddenLayers(value).clone());
    return this;
  }

  public Autoencoder setMaxIter(int value) {
    set(maxIter, checkMaxIter(value));
    return this;
  }

  public Autoencoder setStepSize(double value) {
    set(stepSize, checkStepSize(value));
    return this;
  }

  public Autoencoder setBatchSize(int value) {
    set(batchSize, checkBatchSize(value));
    return this;
  }

  /** Every step reads every row: the exact gradient, at one Spark job per epoch. */
  public Autoencoder setFullBatch() {
    return setBatchSize(Integer.MAX_VALUE);
  }

  public Autoencoder setSeed(long value) {
    set(seed, value);
    return this;
  }

  public Autoencoder setContamination(double value) {
    set(contamination, DetectorChecks.contamination("Autoencoder", value));
    return this;
  }

  public Autoencoder setThreshold(double value) {
    set(threshold, DetectorChecks.threshold("Autoencoder", value));
    return this;
  }

  /** Forgets an explicit threshold, so the next fit derives it from contamination again. */
  public Autoencoder clearThreshold() {
    clear(threshold);
    return this;
  }

  public Autoencoder setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public Autoencoder setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public Autoencoder setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public int[] getHiddenLayers() {
    return ((int[]) $(hiddenLayers)).clone();
  }

  public int getMaxIter() {
    return (Integer) $(maxIter);
  }

  public double getStepSize() {
    return (Double) $(stepSize);
  }

  public int getBatchSize() {
    return (Integer) $(batchSize);
  }

  public long getSeed() {
    return (Long) $(seed);
  }

  public double getContamination() {
    return (Double) $(contamination);
  }

  public boolean hasThreshold() {
    return isDefined(threshold);
  }

  /** The explicit threshold; throws when none is set (see {@link #hasThreshold()}). */
  public double getThreshold() {
    if (!hasThreshold()) {
      throw new FraudLakeException("Autoencoder: no explicit threshold is set; "
          + "the fitted model derives it from contamination " + getContamination());
    }
    return (Double) $(threshold);
  }

  /**
   * Trains the network, then sets the model's score scale (the median training error) and, without
   * an explicit threshold, its threshold: the training score of rank ⌈(1 − contamination)·n⌉ among
   * the n training rows (a seeded sample of about {@link #ERROR_SAMPLE_ROWS} when there are more),
   * so that about a contamination fraction of the training rows is flagged, ties aside.
   */
  @Override
  public AutoencoderModel fit(Dataset<?> dataset) {
    validateParams();
    transformSchema(dataset.schema());
    AutoencoderTrainer.Result result = AutoencoderTrainer.train(dataset, new AutoencoderTrainer.Settings(
        getFeaturesCol(), getHiddenLayers(), getMaxIter(), getStepSize(), getBatchSize(), getSeed(),
        ERROR_SAMPLE_ROWS));
    double[] errors = result.sortedErrors();
    ReconstructionScorer scorer = new ReconstructionScorer(result.network(), positiveScale(median(errors)));
    AutoencoderModel model = new AutoencoderModel(uid, scorer, result.epochLoss())
        .setFeaturesCol(getFeaturesCol())
        .setScoreCol(getScoreCol())
        .setPredictionCol(getPredictionCol());
    model.setParent(this);
    double chosen = hasThreshold()
        ? getThreshold()
        : scorer.scoreOfError(upperQuantile(errors, 1.0 - getContamination()));
    return model.setThreshold(chosen);
  }

  private static double median(double[] sorted) {
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  /** The smallest value with at least a q fraction of the sorted values at or below it. */
  static double upperQuantile(double[] sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /**
   * The score divides by the median error; a network that reconstructs more than half the rows
   * exactly (e.g. constant features) would make it 0, so the smallest normal double stands in.
   */
  private static double positiveScale(double medianError) {
    return Math.max(medianError, Double.MIN_NORMAL);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return AutoencoderModel.outputSchema(schema, getFeaturesCol(), getScoreCol(), getPredictionCol());
  }

  @Override
  public Autoencoder copy(ParamMap extra) {
    return (Autoencoder) defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new DefaultParamsWriter(this);
  }

  /** Found by reflection when a saved Pipeline is loaded. */
  public static MLReader<Autoencoder> read() {
    return new DefaultParamsReader<>();
  }

  public static Autoencoder load(String path) {
    return read().load(path);
  }

  private void validateParams() {
    checkHiddenLayers((int[]) $(hiddenLayers));
    checkMaxIter(getMaxIter());
    checkStepSize(getStepSize());
    checkBatchSize(getBatchSize());
    DetectorChecks.contamination("Autoencoder", getContamination());
    if (hasThreshold()) {
      DetectorChecks.threshold("Autoencoder", getThreshold());
    }
  }

  private static int[] checkHiddenLayers(int[] value) {
    if (value == null || value.length == 0 || Arrays.stream(value).anyMatch(width -> width < 1)) {
      throw new FraudLakeException("Autoencoder: hiddenLayers must be one or more widths, each at least 1, got "
          + Arrays.toString(value));
    }
    return value;
  }

  private static int checkMaxIter(int value) {
    if (value < 1) {
      throw new FraudLakeException("Autoencoder: maxIter (epochs) must be at least 1, got " + value);
    }
    return value;
  }

  private static double checkStepSize(double value) {
    if (!(value > 0 && Double.isFinite(value))) {
      throw new FraudLakeException("Autoencoder: stepSize must be a positive finite number, got " + value);
    }
    return value;
  }

  private static int checkBatchSize(int value) {
    if (value < 1) {
      throw new FraudLakeException("Autoencoder: batchSize must be at least 1 row, got " + value);
    }
    return value;
  }

}
