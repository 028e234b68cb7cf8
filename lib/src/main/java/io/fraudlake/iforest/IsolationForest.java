package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.DetectorChecks;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Isolation Forest (Liu, Ting and Zhou, 2008) as a Spark ML estimator. Fitting grows the trees on the
 * executors from numTrees samples of ψ rows (see {@link ForestTrainer}) and, unless a threshold is
 * set, sets the model's threshold to the (1 − contamination) quantile of the training scores.
 *
 * <p>Params are validated by the setters and again by {@link #fit}, so a bad value fails with one
 * line naming it, whichever way it was set.
 */
public final class IsolationForest extends Estimator<IsolationForestModel> implements IsolationForestParams, MLWritable {
  private static final long serialVersionUID = 1L;
  /** Rank error of the threshold quantile, as a fraction of the training rows (see {@link #fit}). */
  static final double THRESHOLD_RELATIVE_ERROR = 1e-4;
  /**
   * Above this many training rows the threshold is the quantile of a seeded uniform sample of about
   * this size: scoring every training row only to place one quantile cost 90% of a fit on 1M rows,
   * while a 200k sample puts the 96.5% quantile within about 0.04 percentage points of rank.
   */
  static final long THRESHOLD_SAMPLE_ROWS = 200_000;

  private final String uid;
  private final IntParam numTrees;
  private final IntParam maxSamples;
  private final DoubleParam maxFeatures;
  private final DoubleParam contamination;
  private final BooleanParam bootstrap;
  private final LongParam seed;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;
  private final DoubleParam threshold;

  public IsolationForest() {
    this(Identifiable$.MODULE$.randomUID("iforest"));
  }

  /** Spark's readers create stages through this constructor. */
  public IsolationForest(String uid) {
    this.uid = uid;
    numTrees = new IntParam(this, "numTrees", "number of trees (>= 1)");
    maxSamples = new IntParam(this, "maxSamples",
        "rows drawn per tree, ψ (>= 2; clamped to the row count)");
    maxFeatures = new DoubleParam(this, "maxFeatures", "fraction of features each tree may split on, in (0, 1]");
    contamination = new DoubleParam(this, "contamination",
        "expected fraction of anomalies, in (0, 0.5]; sets the threshold when none is given");
    bootstrap = new BooleanParam(this, "bootstrap", "draw each tree's rows with replacement");
    seed = new LongParam(this, "seed", "random seed");
    featuresCol = IsolationForestParams.featuresColParam(this);
    scoreCol = IsolationForestParams.scoreColParam(this);
    predictionCol = IsolationForestParams.predictionColParam(this);
    threshold = new DoubleParam(this, "threshold",
        "explicit score threshold; when unset, the (1 - contamination) quantile of training scores");
    setDefault(numTrees, 200);
    setDefault(maxSamples, 256);
    setDefault(maxFeatures, 1.0);
    setDefault(contamination, 0.035);
    setDefault(bootstrap, false);
    setDefault(seed, 42L);
    setDefault(featuresCol, DEFAULT_FEATURES_COL);
    setDefault(scoreCol, DEFAULT_SCORE_COL);
    setDefault(predictionCol, DEFAULT_PREDICTION_COL);
  }

  @Override
  public String uid() {
    return uid;
  }

  public IntParam numTrees() {
    return numTrees;
  }

  public IntParam maxSamples() {
    return maxSamples;
  }

  public DoubleParam maxFeatures() {
    return maxFeatures;
  }

  public DoubleParam contamination() {
    return contamination;
  }

  public BooleanParam bootstrap() {
    return bootstrap;
  }

  public LongParam seed() {
    return seed;
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

  /** Named so, not {@code threshold()}, to match {@link IsolationForestModel#threshold()}, a value. */
  public DoubleParam thresholdParam() {
    return threshold;
  }

  public IsolationForest setNumTrees(int value) {
    set(numTrees, DetectorChecks.atLeast("IsolationForest", "numTrees", 1, value));
    return this;
  }

  public IsolationForest setMaxSamples(int value) {
    set(maxSamples, DetectorChecks.atLeast("IsolationForest", "maxSamples", 2, value));
    return this;
  }

  public IsolationForest setMaxFeatures(double value) {
    set(maxFeatures, checkMaxFeatures(value));
    return this;
  }

  public IsolationForest setContamination(double value) {
    set(contamination, DetectorChecks.contamination("IsolationForest", value));
    return this;
  }

  public IsolationForest setBootstrap(boolean value) {
    set(bootstrap, value);
    return this;
  }

  public IsolationForest setSeed(long value) {
    set(seed, value);
    return this;
  }

  public IsolationForest setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public IsolationForest setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public IsolationForest setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public IsolationForest setThreshold(double value) {
    set(threshold, DetectorChecks.threshold("IsolationForest", value));
    return this;
  }

  /** Forgets an explicit threshold, so the next fit derives it from contamination again. */
  public IsolationForest clearThreshold() {
    clear(threshold);
    return this;
  }

  public int getNumTrees() {
    return (Integer) $(numTrees);
  }

  public int getMaxSamples() {
    return (Integer) $(maxSamples);
  }

  public double getMaxFeatures() {
    return (Double) $(maxFeatures);
  }

  public double getContamination() {
    return (Double) $(contamination);
  }

  public boolean getBootstrap() {
    return (Boolean) $(bootstrap);
  }

  public long getSeed() {
    return (Long) $(seed);
  }




  public boolean hasThreshold() {
    return isDefined(threshold);
  }

  /** The explicit threshold; throws when none is set (see {@link #hasThreshold()}). */
  public double getThreshold() {
    if (!hasThreshold()) {
      throw new FraudLakeException("IsolationForest: no explicit threshold is set; "
          + "the fitted model derives it from contamination " + getContamination());
    }
    return (Double) $(threshold);
  }

  /**
   * The threshold fit derives from contamination, for this forest and the extended one: Spark's
   * approxQuantile of the model's training scores at 1 − contamination with relative error 1e-4
   * (bounded memory; the flagged fraction lands within 0.0001 of contamination, ties aside). On more
   * than {@link #THRESHOLD_SAMPLE_ROWS} rows the scores are those of a seeded uniform sample of about
   * that many rows, which adds a sampling error of about 0.0004 in rank: far below how precisely
   * contamination itself is ever known, for a tenth of the fitting time.
   *
   * @param model a fitted forest whose transform adds {@code scoreCol}
   */
  public static double contaminationThreshold(Transformer model, Dataset<?> dataset, long rows, String featuresCol,
      String scoreCol, double contamination, long seed) {
    Dataset<?> scored = rows <= THRESHOLD_SAMPLE_ROWS
        ? dataset
        : dataset.sample(false, (double) THRESHOLD_SAMPLE_ROWS / rows, seed);
    Dataset<Row> scores = model.transform(scored.select(functions.col("`" + featuresCol.replace("`", "``") + "`")));
    return scores.stat().approxQuantile(scoreCol, new double[] {1.0 - contamination}, THRESHOLD_RELATIVE_ERROR)[0];
  }

  @Override
  public IsolationForestModel fit(Dataset<?> dataset) {
    validateParams();
    transformSchema(dataset.schema());
    ForestTrainer.Result result = ForestTrainer.train(dataset, new ForestTrainer.Settings(
        getFeaturesCol(), getNumTrees(), getMaxSamples(), getMaxFeatures(), getBootstrap(), getSeed()));
    IsolationForestModel model = new IsolationForestModel(uid, result.trees(), result.sampleSize(),
        result.numFeatures())
        .setFeaturesCol(getFeaturesCol())
        .setScoreCol(getScoreCol())
        .setPredictionCol(getPredictionCol());
    model.setParent(this);
    double chosen = hasThreshold()
        ? getThreshold()
        : contaminationThreshold(model, dataset, result.rows(), getFeaturesCol(), getScoreCol(), getContamination(),
            getSeed());
    return model.setThreshold(chosen);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return IsolationForestModel.outputSchema("IsolationForest", schema, getFeaturesCol(), getScoreCol(), getPredictionCol());
  }

  @Override
  public IsolationForest copy(ParamMap extra) {
    return (IsolationForest) defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new DefaultParamsWriter(this);
  }

  /** Found by reflection when a saved Pipeline is loaded. */
  public static MLReader<IsolationForest> read() {
    return new DefaultParamsReader<>();
  }

  public static IsolationForest load(String path) {
    return read().load(path);
  }

  private void validateParams() {
    DetectorChecks.atLeast("IsolationForest", "numTrees", 1, getNumTrees());
    DetectorChecks.atLeast("IsolationForest", "maxSamples", 2, getMaxSamples());
    checkMaxFeatures(getMaxFeatures());
    DetectorChecks.contamination("IsolationForest", getContamination());
    if (hasThreshold()) {
      DetectorChecks.threshold("IsolationForest", getThreshold());
    }
  }

  private static double checkMaxFeatures(double value) {
    if (!(value > 0.0 && value <= 1.0)) {
      throw new FraudLakeException("IsolationForest: maxFeatures must be a fraction in (0, 1], got " + value);
    }
    return value;
  }

}
