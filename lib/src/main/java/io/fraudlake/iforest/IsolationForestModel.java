package io.fraudlake.iforest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.detection.DetectorChecks;
import java.io.IOException;
import java.util.ArrayList;
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
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import scala.Option;

/**
 * A fitted isolation forest. {@link #transform} adds the score s(x) = 2^(−E[h(x)]/c(ψ)) (higher is
 * more anomalous; equal to scikit-learn's {@code -score_samples(x)} for the same trees) and
 * {@code score >= threshold} as a boolean.
 *
 * <p>Saved as Spark ML's JSON metadata plus the nodes in Parquet under {@code data/}, one row per
 * node: tree, node (0 is the root), feature (-1 marks a leaf), split (x[feature] &lt;= split goes
 * left), left and right child, and size (training rows that reached the node).
 */
public final class IsolationForestModel extends Model<IsolationForestModel>
    implements IsolationForestParams, MLWritable, AnomalyModel {
  private static final long serialVersionUID = 1L;
  private static final String FORMAT = "fraudlake-isolation-forest-nodes-1";
  private static final StructType NODE_SCHEMA = new StructType()
      .add("tree", DataTypes.IntegerType, false)
      .add("node", DataTypes.IntegerType, false)
      .add("feature", DataTypes.IntegerType, false)
      .add("split", DataTypes.DoubleType, false)
      .add("left", DataTypes.IntegerType, false)
      .add("right", DataTypes.IntegerType, false)
      .add("size", DataTypes.IntegerType, false);

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
    return new Writer(this);
  }

  /** Found by reflection when a saved PipelineModel is loaded. */
  public static MLReader<IsolationForestModel> read() {
    return new Reader();
  }

  public static IsolationForestModel load(String path) {
    return read().load(path);
  }

  private static final class Writer extends MLWriter {
    private final IsolationForestModel model;

    Writer(IsolationForestModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ObjectNode extra = new ObjectMapper().createObjectNode()
          .put("format", FORMAT)
          .put("numTrees", model.numTrees())
          .put("sampleSize", model.sampleSize)
          .put("numFeatures", model.numFeatures);
      DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession(),
          Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(extra)));
      List<Row> nodes = new ArrayList<>();
      for (int t = 0; t < model.trees.length; t++) {
        IsolationTree tree = model.trees[t];
        for (int n = 0; n < tree.nodeCount(); n++) {
          boolean leaf = tree.isLeaf(n);
          nodes.add(RowFactory.create(t, n, tree.feature[n], leaf ? 0.0 : tree.split[n],
              tree.left[n], leaf ? IsolationTree.LEAF : tree.left[n] + 1, tree.size[n]));
        }
      }
      sparkSession().createDataFrame(nodes, NODE_SCHEMA).coalesce(1).write().parquet(dataPath(path));
    }
  }

  private static final class Reader extends MLReader<IsolationForestModel> {
    @Override
    public IsolationForestModel load(String path) {
      DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(
          path, sparkSession(), IsolationForestModel.class.getName());
      JsonNode json;
      try {
        json = new ObjectMapper().readTree(metadata.metadataJson());
      } catch (IOException e) {
        throw new FraudLakeException("IsolationForestModel: unreadable metadata under " + path, e);
      }
      if (!FORMAT.equals(json.path("format").asText())) {
        throw new FraudLakeException("IsolationForestModel: " + path + " is not a saved FraudLake isolation forest "
            + "(format '" + json.path("format").asText() + "')");
      }
      int numTrees = json.get("numTrees").asInt();
      List<Row> rows = sparkSession().read().parquet(dataPath(path)).select(
          "tree", "node", "feature", "split", "left", "right", "size").collectAsList();
      IsolationTree[] trees = treesFromNodes(rows, numTrees, path);
      IsolationForestModel model = new IsolationForestModel(metadata.uid(), trees,
          json.get("sampleSize").asInt(), json.get("numFeatures").asInt());
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }

    private static IsolationTree[] treesFromNodes(List<Row> rows, int numTrees, String path) {
      int[] nodeCounts = new int[numTrees];
      for (Row row : rows) {
        nodeCounts[row.getInt(0)] = Math.max(nodeCounts[row.getInt(0)], row.getInt(1) + 1);
      }
      int[][] feature = new int[numTrees][];
      double[][] split = new double[numTrees][];
      int[][] left = new int[numTrees][];
      int[][] size = new int[numTrees][];
      for (int t = 0; t < numTrees; t++) {
        feature[t] = new int[nodeCounts[t]];
        split[t] = new double[nodeCounts[t]];
        left[t] = new int[nodeCounts[t]];
        size[t] = new int[nodeCounts[t]];
      }
      for (Row row : rows) {
        int t = row.getInt(0);
        int n = row.getInt(1);
        feature[t][n] = row.getInt(2);
        split[t][n] = row.getDouble(3);
        left[t][n] = row.getInt(4);
        size[t][n] = row.getInt(6);
        if (row.getInt(2) != IsolationTree.LEAF && row.getInt(5) != row.getInt(4) + 1) {
          throw new FraudLakeException("IsolationForestModel: corrupt node " + n + " of tree " + t + " in " + path);
        }
      }
      if (rows.size() != Arrays.stream(nodeCounts).sum()) {
        throw new FraudLakeException("IsolationForestModel: missing or duplicate nodes in " + path);
      }
      IsolationTree[] trees = new IsolationTree[numTrees];
      for (int t = 0; t < numTrees; t++) {
        trees[t] = new IsolationTree(feature[t], split[t], left[t], size[t]);
      }
      return trees;
    }
  }

  private static String dataPath(String path) {
    return new org.apache.hadoop.fs.Path(path, "data").toString();
  }
}
