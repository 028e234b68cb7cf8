package io.fraudlake.iforest.extended;

import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.DetectorChecks;
import io.fraudlake.iforest.ForestTrainer;
import io.fraudlake.iforest.IsolationForest;
import io.fraudlake.iforest.IsolationForestModel;
import io.fraudlake.iforest.IsolationForestParams;
import org.apache.spark.ml.Estimator;
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
import org.apache.spark.sql.types.StructType;

/**
 * Extended Isolation Forest (Hariri, Carrasco Kind and Brunner, 2018) as a Spark ML estimator: trees
 * that split on random hyperplanes rather than on one feature at a time, which removes the
 * axis-aligned "ghost" regions of low score that a standard forest draws around clusters.
 *
 * <p>extensionLevel sets how many coordinates of each normal are non-zero, extensionLevel + 1: 0 gives
 * axis-aligned cuts (a standard forest, with intercepts drawn as the paper does), d − 1 (the default,
 * taken from the vectors' width at fit) fully general hyperplanes. Rows are sampled and trees grown on
 * the executors exactly as {@link IsolationForest} does (see {@link ForestTrainer}); the threshold is
 * chosen as it chooses its own (see {@link IsolationForest#contaminationThreshold}).
 */
public final class ExtendedIsolationForest extends Estimator<ExtendedIsolationForestModel>
    implements IsolationForestParams, MLWritable {
  private static final long serialVersionUID = 1L;
  static final String NAME = "ExtendedIsolationForest";

  private final String uid;
  private final IntParam numTrees;
  private final IntParam maxSamples;
  private final DoubleParam contamination;
  private final BooleanParam bootstrap;
  private final LongParam seed;
  private final IntParam extensionLevel;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;
  private final DoubleParam threshold;

  public ExtendedIsolationForest() {
    this(Identifiable$.MODULE$.randomUID("eiforest"));
  }

  /** Spark's readers create stages through this constructor. */
  public ExtendedIsolationForest(String uid) {
    this.uid = uid;
    numTrees = new IntParam(this, "numTrees", "number of trees (>= 1)");
    maxSamples = new IntParam(this, "maxSamples", "rows drawn per tree, ψ (>= 2; clamped to the row count)");
    contamination = new DoubleParam(this, "contamination",
        "expected fraction of anomalies, in (0, 0.5]; sets the threshold when none is given");
    bootstrap = new BooleanParam(this, "bootstrap", "draw each tree's rows with replacement");
    seed = new LongParam(this, "seed", "random seed");
    extensionLevel = new IntParam(this, "extensionLevel",
        "non-zero coordinates of each split's normal minus one, in 0..d-1; unset means d-1 (fully extended)");
    featuresCol = IsolationForestParams.featuresColParam(this);
    scoreCol = IsolationForestParams.scoreColParam(this);
    predictionCol = IsolationForestParams.predictionColParam(this);
    threshold = new DoubleParam(this, "threshold",
        "explicit score threshold; when unset, the (1 - contamination) quantile of training scores");
    setDefault(numTrees, 200);
    setDefault(maxSamples, 256);
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

  public DoubleParam contamination() {
    return contamination;
  }

  public BooleanParam bootstrap() {
    return bootstrap;
  }

  public LongParam seed() {
    return seed;
  }

  public IntParam extensionLevel() {
    return extensionLevel;
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

  /** Named as {@link IsolationForest#thresholdParam()}, since the model's {@code threshold()} is a value. */
  public DoubleParam thresholdParam() {
    return threshold;
  }

  public ExtendedIsolationForest setNumTrees(int value) {
    set(numTrees, DetectorChecks.atLeast(NAME, "numTrees", 1, value));
    return this;
  }

  public ExtendedIsolationForest setMaxSamples(int value) {
    set(maxSamples, DetectorChecks.atLeast(NAME, "maxSamples", 2, value));
    return this;
  }

  public ExtendedIsolationForest setContamination(double value) {
    set(contamination, DetectorChecks.contamination(NAME, value));
    return this;
  }

  public ExtendedIsolationForest setBootstrap(boolean value) {
    set(bootstrap, value);
    return this;
  }

  public ExtendedIsolationForest setSeed(long value) {
    set(seed, value);
    return this;
  }

  /** The upper bound, d − 1, is checked at fit, when the vectors' width is known. */
  public ExtendedIsolationForest setExtensionLevel(int value) {
    set(extensionLevel, checkExtensionLevel(value));
    return this;
  }

  /** Back to the default: fully extended, d − 1, whatever d the next fit sees. */
  public ExtendedIsolationForest clearExtensionLevel() {
    clear(extensionLevel);
    return this;
  }

  public ExtendedIsolationForest setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public ExtendedIsolationForest setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public ExtendedIsolationForest setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public ExtendedIsolationForest setThreshold(double value) {
    set(threshold, DetectorChecks.threshold(NAME, value));
    return this;
  }

  /** Forgets an explicit threshold, so the next fit derives it from contamination again. */
  public ExtendedIsolationForest clearThreshold() {
    clear(threshold);
    return this;
  }

  public int getNumTrees() {
    return (Integer) $(numTrees);
  }

  public int getMaxSamples() {
    return (Integer) $(maxSamples);
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

  public boolean hasExtensionLevel() {
    return isDefined(extensionLevel);
  }

  /** The explicit extension level; throws when none is set (the fit then uses d − 1). */
  public int getExtensionLevel() {
    if (!hasExtensionLevel()) {
      throw new FraudLakeException(NAME + ": no extensionLevel is set; fit uses d - 1, fully extended");
    }
    return (Integer) $(extensionLevel);
  }

  public boolean hasThreshold() {
    return isDefined(threshold);
  }

  /** The explicit threshold; throws when none is set (see {@link #hasThreshold()}). */
  public double getThreshold() {
    if (!hasThreshold()) {
      throw new FraudLakeException(NAME + ": no explicit threshold is set; "
          + "the fitted model derives it from contamination " + getContamination());
    }
    return (Double) $(threshold);
  }

  @Override
  public ExtendedIsolationForestModel fit(Dataset<?> dataset) {
    validateParams();
    transformSchema(dataset.schema());
    int requestedLevel = hasExtensionLevel() ? getExtensionLevel() : ExtendedTreeGrower.FULLY_EXTENDED;
    ForestTrainer.Grown<ExtendedIsolationTree> grown = ForestTrainer.grow(dataset,
        new ForestTrainer.Sampling(NAME, getFeaturesCol(), getNumTrees(), getMaxSamples(), getBootstrap(), getSeed()),
        new ExtendedTreeGrower(requestedLevel));
    ExtendedIsolationForestModel model = new ExtendedIsolationForestModel(uid,
        grown.trees().toArray(new ExtendedIsolationTree[0]), grown.sampleSize(), grown.numFeatures(),
        ExtendedTreeGrower.resolve(requestedLevel, grown.numFeatures()))
        .setFeaturesCol(getFeaturesCol())
        .setScoreCol(getScoreCol())
        .setPredictionCol(getPredictionCol());
    model.setParent(this);
    double chosen = hasThreshold()
        ? getThreshold()
        : IsolationForest.contaminationThreshold(model, dataset, grown.rows(), getFeaturesCol(), getScoreCol(),
            getContamination(), getSeed());
    return model.setThreshold(chosen);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return IsolationForestModel.outputSchema(NAME, schema, getFeaturesCol(), getScoreCol(), getPredictionCol());
  }

  @Override
  public ExtendedIsolationForest copy(ParamMap extra) {
    return (ExtendedIsolationForest) defaultCopy(extra);
  }

  @Override
  public MLWriter write() {
    return new DefaultParamsWriter(this);
  }

  /** Found by reflection when a saved Pipeline is loaded. */
  public static MLReader<ExtendedIsolationForest> read() {
    return new DefaultParamsReader<>();
  }

  public static ExtendedIsolationForest load(String path) {
    return read().load(path);
  }

  private void validateParams() {
    DetectorChecks.atLeast(NAME, "numTrees", 1, getNumTrees());
    DetectorChecks.atLeast(NAME, "maxSamples", 2, getMaxSamples());
    DetectorChecks.contamination(NAME, getContamination());
    if (hasExtensionLevel()) {
      checkExtensionLevel(getExtensionLevel());
    }
    if (hasThreshold()) {
      DetectorChecks.threshold(NAME, getThreshold());
    }
  }

  private static int checkExtensionLevel(int value) {
    if (value < 0) {
      throw new FraudLakeException(NAME + ": extensionLevel must be in 0..d-1 (d features), got " + value);
    }
    return value;
  }

}
