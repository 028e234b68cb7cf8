package io.fraudlake.iforest.extended;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import scala.Option;

/**
 * How an {@link ExtendedIsolationForestModel} is saved: Spark ML's JSON metadata under
 * {@code metadata/} (params, plus format, numTrees, sampleSize, numFeatures and extensionLevel), and
 * the nodes in Parquet under {@code data/}, one row per node: tree, node (0 is the root), left child
 * (-1 marks a leaf; the right child is left + 1), size (training rows that reached the node), offset
 * and normal (x goes left when x·normal &lt;= offset; offset = p·normal for the intercept point p; a
 * leaf's normal is empty). Parquet, as the standard forest's, so any Spark reads a saved forest.
 */
final class ExtendedForestPersistence {
  static final String FORMAT = "fraudlake-extended-isolation-forest-nodes-1";
  private static final StructType NODE_SCHEMA = new StructType()
      .add("tree", DataTypes.IntegerType, false)
      .add("node", DataTypes.IntegerType, false)
      .add("left", DataTypes.IntegerType, false)
      .add("size", DataTypes.IntegerType, false)
      .add("offset", DataTypes.DoubleType, false)
      .add("normal", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
  private static final String MODEL = ExtendedIsolationForestModel.NAME;

  private ExtendedForestPersistence() {}

  static final class Writer extends MLWriter {
    private final ExtendedIsolationForestModel model;

    Writer(ExtendedIsolationForestModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ObjectNode extra = new ObjectMapper().createObjectNode()
          .put("format", FORMAT)
          .put("numTrees", model.numTrees())
          .put("sampleSize", model.sampleSize())
          .put("numFeatures", model.numFeatures())
          .put("extensionLevel", model.extensionLevel());
      DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession(),
          Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(extra)));
      List<Row> nodes = new ArrayList<>();
      ExtendedIsolationTree[] trees = model.trees();
      int width = model.numFeatures();
      for (int t = 0; t < trees.length; t++) {
        ExtendedIsolationTree tree = trees[t];
        for (int n = 0; n < tree.nodeCount(); n++) {
          boolean leaf = tree.isLeaf(n);
          double[] normal = new double[leaf ? 0 : width];
          System.arraycopy(tree.normals, n * width, normal, 0, normal.length);
          nodes.add(RowFactory.create(t, n, tree.left[n], tree.size[n], leaf ? 0.0 : tree.offset[n], normal));
        }
      }
      sparkSession().createDataFrame(nodes, NODE_SCHEMA).coalesce(1).write().parquet(dataPath(path));
    }
  }

  static final class Reader extends MLReader<ExtendedIsolationForestModel> {
    @Override
    public ExtendedIsolationForestModel load(String path) {
      DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(
          path, sparkSession(), ExtendedIsolationForestModel.class.getName());
      JsonNode json;
      try {
        json = new ObjectMapper().readTree(metadata.metadataJson());
      } catch (IOException e) {
        throw new FraudLakeException(MODEL + ": unreadable metadata under " + path, e);
      }
      if (!FORMAT.equals(json.path("format").asText())) {
        throw new FraudLakeException(MODEL + ": " + path + " is not a saved FraudLake extended isolation forest "
            + "(format '" + json.path("format").asText() + "')");
      }
      int numTrees = json.get("numTrees").asInt();
      int numFeatures = json.get("numFeatures").asInt();
      List<Row> rows = sparkSession().read().parquet(dataPath(path))
          .select("tree", "node", "left", "size", "offset", "normal").collectAsList();
      ExtendedIsolationForestModel model = new ExtendedIsolationForestModel(metadata.uid(),
          treesFromNodes(rows, numTrees, numFeatures, path), json.get("sampleSize").asInt(), numFeatures,
          json.get("extensionLevel").asInt());
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }

    private static ExtendedIsolationTree[] treesFromNodes(List<Row> rows, int numTrees, int numFeatures, String path) {
      int[] nodeCounts = new int[numTrees];
      for (Row row : rows) {
        int t = row.getInt(0);
        if (t < 0 || t >= numTrees) {
          throw new FraudLakeException(MODEL + ": node of tree " + t + " in a forest of " + numTrees + " trees in " + path);
        }
        nodeCounts[t] = Math.max(nodeCounts[t], row.getInt(1) + 1);
      }
      int total = 0;
      int[][] left = new int[numTrees][];
      int[][] size = new int[numTrees][];
      double[][] offset = new double[numTrees][];
      double[][] normals = new double[numTrees][];
      for (int t = 0; t < numTrees; t++) {
        left[t] = new int[nodeCounts[t]];
        size[t] = new int[nodeCounts[t]];
        offset[t] = new double[nodeCounts[t]];
        normals[t] = new double[nodeCounts[t] * numFeatures];
        total += nodeCounts[t];
      }
      if (rows.size() != total) {
        throw new FraudLakeException(MODEL + ": missing or duplicate nodes in " + path);
      }
      for (Row row : rows) {
        int t = row.getInt(0);
        int n = row.getInt(1);
        left[t][n] = row.getInt(2);
        size[t][n] = row.getInt(3);
        offset[t][n] = row.getDouble(4);
        List<Double> normal = row.getList(5);
        boolean leaf = left[t][n] == ExtendedIsolationTree.LEAF;
        if (normal.size() != (leaf ? 0 : numFeatures)
            || (!leaf && (left[t][n] <= n || left[t][n] + 1 >= nodeCounts[t]))) {
          throw new FraudLakeException(MODEL + ": corrupt node " + n + " of tree " + t + " in " + path);
        }
        for (int f = 0; f < normal.size(); f++) {
          normals[t][n * numFeatures + f] = normal.get(f);
        }
      }
      ExtendedIsolationTree[] trees = new ExtendedIsolationTree[numTrees];
      for (int t = 0; t < numTrees; t++) {
        trees[t] = new ExtendedIsolationTree(numFeatures, left[t], size[t], offset[t], normals[t]);
      }
      return trees;
    }
  }

  private static String dataPath(String path) {
    return new org.apache.hadoop.fs.Path(path, "data").toString();
  }
}
