package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.detection.DetectorChecks;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted isolation forest. {@link #transform} adds the score s(x) = 2^(−E[h(x)]/c(ψ)) (higher is
 * more anomalous; equal to scikit-learn's {@code -score_samples(x)} for the same trees) and
 * {@code score >= threshold} as a boolean.
 *
 * <p>Saved and loaded by {@link IsolationForestPersistence}.
 */
public final class IsolationForestModel extends Model<IsolationForestModel>
    implements IsolationForestParams, MLWritable, AnomalyModel {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final IsolationTree[] trees;
  private final int sampleSize;
  private final int numFeatures;
  private final FlatForest forest;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;
  private final DoubleParam threshold;
  private transient Broadcast<ForestArrays> broadcast;

  IsolationForestModel(String uid, IsolationTree[] trees, int sampleSize, int numFeatures) {
    this.uid = uid;
    this.trees = trees;
    this.sampleSize = sampleSize;
    this.numFeatures = numFeatures;
    this.forest = FlatForest.of(trees, sampleSize, numFeatures);
    featuresCol = IsolationForestParams.featuresColParam(this);
    scoreCol = IsolationForestParams.scoreColParam(this);
    predictionCol = IsolationForestParams.predictionColParam(this);
    threshold = new DoubleParam(this, "threshold", "score at or above which a row is an anomaly");
    setDefault(featuresCol, DEFAULT_FEATURES_COL);
    setDefault(scoreCol, DEFAULT_SCORE_COL);
    setDefault(predictionCol, DEFAULT_PREDICTION_COL);
    // The paper's rule of thumb (and scikit-learn's "auto" offset); fit always sets its own.
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
  public double scoreRow(double[] row) {
    return forest.score(row);
  }

  public IsolationForestModel setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public IsolationForestModel setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public IsolationForestModel setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public IsolationForestModel setThreshold(double value) {
    set(threshold, DetectorChecks.threshold("IsolationForest", value));
    return this;
  }

  public int numTrees() {
    return trees.length;
  }

  @Override
  public int numFeatures() {
    return numFeatures;
  }

  /** ψ actually used: maxSamples, or the row count when that was smaller. */
  public int sampleSize() {
    return sampleSize;
  }

  /** The forest as a plain-Java, thread-safe scorer, for scoring outside Spark. */
  public FlatForest scorer() {
    return forest;
  }

  IsolationTree[] trees() {
    return trees;
  }

  /**
   * Adds the score and prediction columns. A batch dataset is scored partition by partition in
   * blocks (see {@link ForestPartitionScorer}), the fast path; a streaming one, whose plan cannot
   * become an RDD, row by row through a UDF. Both give the same scores.
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType outSchema = transformSchema(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    if (dataset.isStreaming()) {
      String score = getScoreCol();
      Dataset<Row> scored = dataset.withColumn(score, scoreColumn(spark));
      return scored.withColumn(getPredictionCol(), functions.col(quoted(score)).geq(threshold()));
    }
    JavaRDD<InternalRow> scored = dataset.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new ForestPartitionScorer<>("IsolationForestModel", broadcastForest(spark), FlatForest::blockScorer,
            dataset.schema(), getFeaturesCol(), threshold()));
    return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(scored.rdd(), outSchema, false);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = outputSchema("IsolationForest", schema, getFeaturesCol(), getScoreCol(), getPredictionCol());
    int declared = AttributeGroup.fromStructField(schema.apply(getFeaturesCol())).size();
    if (declared >= 0 && declared != numFeatures) {
      throw new FraudLakeException("IsolationForestModel: column '" + getFeaturesCol() + "' holds " + declared
          + " features but the model was trained on " + numFeatures);
    }
    return out;
  }

  /**
   * The input schema with a forest's score and prediction columns, after checking the features column;
   * {@code estimator} names the forest in error messages.
   */
  public static StructType outputSchema(String estimator, StructType schema, String features, String score,
      String prediction) {
    if (!Arrays.asList(schema.fieldNames()).contains(features)) {
      throw new FraudLakeException(estimator + ": features column '" + features + "' not found; columns are "
          + String.join(", ", schema.fieldNames()));
    }
    StructField field = schema.apply(features);
    if (!(field.dataType() instanceof VectorUDT)) {
      throw new FraudLakeException(estimator + ": features column '" + features
          + "' must be an ML Vector (org.apache.spark.ml.linalg.Vector) but is " + field.dataType().simpleString()
          + "; combine numeric columns with VectorAssembler");
    }
    for (String output : List.of(score, prediction)) {
      if (Arrays.asList(schema.fieldNames()).contains(output)) {
        throw new FraudLakeException(estimator + ": output column '" + output + "' already exists");
      }
    }
    if (score.equals(prediction)) {
      throw new FraudLakeException(estimator + ": score and prediction columns are both '" + score + "'");
    }
    return schema
        .add(score, DataTypes.DoubleType, true)
        .add(prediction, DataTypes.BooleanType, true);
  }

  private Column scoreColumn(SparkSession spark) {
    UserDefinedFunction score = functions.udf(
        new ForestScoreFunction<>("IsolationForestModel", broadcastForest(spark), FlatForest::new, getFeaturesCol()),
        DataTypes.DoubleType);
    return score.apply(functions.col(quoted(getFeaturesCol())));
  }

  /** The forest's arrays, broadcast once per model (again only if the broadcast was destroyed). */
  private synchronized Broadcast<ForestArrays> broadcastForest(SparkSession spark) {
    if (broadcast == null || !broadcast.isValid()) {
      broadcast = spark.sparkContext().broadcast(forest.arrays(),
          scala.reflect.ClassTag$.MODULE$.apply(ForestArrays.class));
    }
    return broadcast;
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  @Override
  public IsolationForestModel copy(ParamMap extra) {
    IsolationForestModel copied = new IsolationForestModel(uid, trees, sampleSize, numFeatures);
    copyValues(copied, extra);
    if (hasParent()) {
      copied.setParent(parent());
    }
    return copied;
  }

  @Override
  public MLWriter write() {
    return new IsolationForestPersistence.Writer(this);
  }

  /** Found by reflection when a saved PipelineModel is loaded. */
  public static MLReader<IsolationForestModel> read() {
    return new IsolationForestPersistence.Reader();
  }

  public static IsolationForestModel load(String path) {
    return read().load(path);
  }
}
