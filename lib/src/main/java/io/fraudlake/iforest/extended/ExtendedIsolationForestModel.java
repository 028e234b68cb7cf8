package io.fraudlake.iforest.extended;

import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.detection.DetectorChecks;
import io.fraudlake.iforest.ForestPartitionScorer;
import io.fraudlake.iforest.ForestScoreFunction;
import io.fraudlake.iforest.IsolationForestModel;
import io.fraudlake.iforest.IsolationForestParams;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted extended isolation forest. {@link #transform} adds the score s(x) = 2^(−E[h(x)]/c(ψ)) in
 * (0, 1] (higher is more anomalous) and {@code score >= threshold}; {@link #scoreRow} gives the same
 * score for one row without Spark. Saved and loaded by {@link ExtendedForestPersistence}.
 */
public final class ExtendedIsolationForestModel extends Model<ExtendedIsolationForestModel>
    implements IsolationForestParams, MLWritable, AnomalyModel {
  private static final long serialVersionUID = 1L;
  static final String NAME = "ExtendedIsolationForestModel";

  private final String uid;
  private final ExtendedIsolationTree[] trees;
  private final int sampleSize;
  private final int numFeatures;
  private final int extensionLevel;
  private final FlatExtendedForest forest;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;
  private final DoubleParam threshold;
  private transient Broadcast<ExtendedForestArrays> broadcast;

  ExtendedIsolationForestModel(String uid, ExtendedIsolationTree[] trees, int sampleSize, int numFeatures,
      int extensionLevel) {
    this.uid = uid;
    this.trees = trees;
    this.sampleSize = sampleSize;
    this.numFeatures = numFeatures;
    this.extensionLevel = extensionLevel;
    this.forest = FlatExtendedForest.of(trees, sampleSize, numFeatures);
    featuresCol = IsolationForestParams.featuresColParam(this);
    scoreCol = IsolationForestParams.scoreColParam(this);
    predictionCol = IsolationForestParams.predictionColParam(this);
    threshold = new DoubleParam(this, "threshold", "score at or above which a row is an anomaly");
    setDefault(featuresCol, DEFAULT_FEATURES_COL);
    setDefault(scoreCol, DEFAULT_SCORE_COL);
    setDefault(predictionCol, DEFAULT_PREDICTION_COL);
    // The paper's rule of thumb; fit always sets its own.
    setDefault(threshold, 0.5);
  }

  @Override
  public String uid() {
    return uid;
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

  public DoubleParam thresholdParam() {
    return threshold;
  }

  @Override
  public double threshold() {
    return (Double) $(threshold);
  }

  @Override
  public int numFeatures() {
    return numFeatures;
  }

  @Override
  public double scoreRow(double[] row) {
    return forest.score(row);
  }

  public ExtendedIsolationForestModel setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public ExtendedIsolationForestModel setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public ExtendedIsolationForestModel setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public ExtendedIsolationForestModel setThreshold(double value) {
    set(threshold, DetectorChecks.threshold("ExtendedIsolationForest", value));
    return this;
  }

  public int numTrees() {
    return trees.length;
  }

  /** ψ actually used: maxSamples, or the row count when that was smaller. */
  public int sampleSize() {
    return sampleSize;
  }

  /** The level the trees were grown at: the one set, or d − 1 when none was. */
  public int extensionLevel() {
    return extensionLevel;
  }

  /** The trees, for inspection (e.g. how many coordinates of each normal are non-zero). */
  public ExtendedIsolationTree tree(int index) {
    return trees[index];
  }

  /** The forest as a plain-Java, thread-safe scorer, for scoring outside Spark. */
  public FlatExtendedForest scorer() {
    return forest;
  }

  ExtendedIsolationTree[] trees() {
    return trees;
  }

  /**
   * Adds the score and prediction columns: a batch dataset block by block through
   * {@link ForestPartitionScorer}, a streaming one (whose plan cannot become an RDD) row by row
   * through {@link ForestScoreFunction}. Both give the same scores.
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType outSchema = transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    String features = quoted(getFeaturesCol());
    if (dataset.isStreaming()) {
      Dataset<Row> scored = dataset.withColumn(getScoreCol(), functions.udf(
          new ForestScoreFunction<>(NAME, broadcastForest(spark), FlatExtendedForest::new, getFeaturesCol()), DataTypes.DoubleType)
          .apply(functions.col(features)));
      return scored.withColumn(getPredictionCol(), functions.col(quoted(getScoreCol())).geq(threshold()));
    }
    JavaRDD<InternalRow> scored = dataset.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new ForestPartitionScorer<>(NAME, broadcastForest(spark), FlatExtendedForest::blockScorer,
            dataset.schema(), getFeaturesCol(), threshold()));
    return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(scored.rdd(), outSchema, false);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = IsolationForestModel.outputSchema(ExtendedIsolationForest.NAME, schema, getFeaturesCol(),
        getScoreCol(), getPredictionCol());
    int declared = AttributeGroup.fromStructField(schema.apply(getFeaturesCol())).size();
    if (declared >= 0 && declared != numFeatures) {
      throw new FraudLakeException(NAME + ": column '" + getFeaturesCol() + "' holds " + declared
          + " features but the model was trained on " + numFeatures);
    }
    return out;
  }

  /** The forest's arrays, broadcast once per model (again only if the broadcast was destroyed). */
  private synchronized Broadcast<ExtendedForestArrays> broadcastForest(SparkSession spark) {
    if (broadcast == null || !broadcast.isValid()) {
      broadcast = spark.sparkContext().broadcast(forest.arrays(),
          scala.reflect.ClassTag$.MODULE$.apply(ExtendedForestArrays.class));
    }
    return broadcast;
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  @Override
  public ExtendedIsolationForestModel copy(ParamMap extra) {
    ExtendedIsolationForestModel copied =
        new ExtendedIsolationForestModel(uid, trees, sampleSize, numFeatures, extensionLevel);
    copyValues(copied, extra);
    if (hasParent()) {
      copied.setParent(parent());
    }
    return copied;
  }

  @Override
  public MLWriter write() {
    return new ExtendedForestPersistence.Writer(this);
  }

  /** Found by reflection when a saved PipelineModel is loaded. */
  public static MLReader<ExtendedIsolationForestModel> read() {
    return new ExtendedForestPersistence.Reader();
  }

  public static ExtendedIsolationForestModel load(String path) {
    return read().load(path);
  }
}
