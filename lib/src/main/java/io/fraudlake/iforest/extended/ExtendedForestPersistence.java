package io.fraudlake.iforest.extended;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.iforest.ModelFiles;
import io.fraudlake.iforest.NodeTable;
import io.fraudlake.iforest.NodeTable.Column;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import scala.Option;

/**
 * How an {@link ExtendedIsolationForestModel} is saved: Spark ML's JSON metadata under
 * {@code metadata/} (params, plus format, numTrees, sampleSize, numFeatures and extensionLevel; see
 * {@link ModelFiles}), and the nodes in Parquet under {@code data/} ({@link NodeTable}), one row per
 * node: tree, node (0 is the root), left child (-1 marks a leaf; the right child is left + 1), size
 * (training rows that reached the node), offset and normal (x goes left when x·normal &lt;= offset;
 * offset = p·normal for the intercept point p; a leaf's normal is empty). Parquet, as the standard
 * forest's, so any Spark reads a saved forest; both parts are written and read on the driver, so
 * saving or loading starts no Spark job.
 */
final class ExtendedForestPersistence {
  static final String FORMAT = "fraudlake-extended-isolation-forest-nodes-1";
  private static final String MODEL = ExtendedIsolationForestModel.NAME;
  private static final int TREE = 0;
  private static final int NODE = 1;
  private static final int LEFT = 2;
  private static final int SIZE = 3;
  private static final int OFFSET = 4;
  private static final int NORMAL = 5;
  private static final NodeTable NODES = new NodeTable(MODEL, Column.ints("tree"), Column.ints("node"),
      Column.ints("left"), Column.ints("size"), Column.doubles("offset"), Column.doubleArrays("normal"));

  private ExtendedForestPersistence() {}

  static final class Writer extends MLWriter {
    private final ExtendedIsolationForestModel model;

    Writer(ExtendedIsolationForestModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ModelFiles.writeMetadata(model, path, sparkSession(), new ObjectMapper().createObjectNode()
          .put("format", FORMAT)
          .put("numTrees", model.numTrees())
          .put("sampleSize", model.sampleSize())
          .put("numFeatures", model.numFeatures())
          .put("extensionLevel", model.extensionLevel()));
      ExtendedIsolationTree[] trees = model.trees();
      int width = model.numFeatures();
      int[] nodeCounts = new int[trees.length];
      for (int t = 0; t < trees.length; t++) {
        nodeCounts[t] = trees[t].nodeCount();
      }
      NODES.write(sparkSession(), path, nodeCounts, (t, n, row) -> {
        ExtendedIsolationTree tree = trees[t];
        boolean leaf = tree.isLeaf(n);
        row.putInt(t).putInt(n).putInt(tree.left[n]).putInt(tree.size[n]).putDouble(leaf ? 0.0 : tree.offset[n])
            .putDoubles(tree.normals, n * width, leaf ? 0 : width);
      });
    }
  }

  static final class Reader extends MLReader<ExtendedIsolationForestModel> {
    @Override
    public ExtendedIsolationForestModel load(String path) {
      DefaultParamsReader.Metadata metadata =
          ModelFiles.readMetadata(MODEL, path, sparkSession(), ExtendedIsolationForestModel.class);
      JsonNode json = ModelFiles.extraFields(MODEL, path, metadata, FORMAT, "FraudLake extended isolation forest");
      int numTrees = json.get("numTrees").asInt();
      int numFeatures = json.get("numFeatures").asInt();
      ExtendedIsolationForestModel model = new ExtendedIsolationForestModel(metadata.uid(),
          treesFromNodes(NODES.read(sparkSession(), path), numTrees, numFeatures, path),
          json.get("sampleSize").asInt(), numFeatures, json.get("extensionLevel").asInt());
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }

    private static ExtendedIsolationTree[] treesFromNodes(NodeTable.Nodes nodes, int numTrees, int numFeatures,
        String path) {
      int[] nodeCounts = nodes.nodesPerTree(TREE, NODE, numTrees, MODEL, path);
      int[][] left = new int[numTrees][];
      int[][] size = new int[numTrees][];
      double[][] offset = new double[numTrees][];
      double[][] normals = new double[numTrees][];
      for (int t = 0; t < numTrees; t++) {
        left[t] = new int[nodeCounts[t]];
        size[t] = new int[nodeCounts[t]];
        offset[t] = new double[nodeCounts[t]];
        normals[t] = new double[nodeCounts[t] * numFeatures];
      }
      for (int r = 0; r < nodes.size(); r++) {
        int t = nodes.getInt(TREE, r);
        int n = nodes.getInt(NODE, r);
        left[t][n] = nodes.getInt(LEFT, r);
        size[t][n] = nodes.getInt(SIZE, r);
        offset[t][n] = nodes.getDouble(OFFSET, r);
        boolean leaf = left[t][n] == ExtendedIsolationTree.LEAF;
        if (nodes.arrayLength(NORMAL, r) != (leaf ? 0 : numFeatures)
            || (!leaf && (left[t][n] <= n || left[t][n] + 1 >= nodeCounts[t]))) {
          throw new FraudLakeException(MODEL + ": corrupt node " + n + " of tree " + t + " in " + path);
        }
        nodes.copyArray(NORMAL, r, normals[t], n * numFeatures);
      }
      ExtendedIsolationTree[] trees = new ExtendedIsolationTree[numTrees];
      for (int t = 0; t < numTrees; t++) {
        trees[t] = new ExtendedIsolationTree(numFeatures, left[t], size[t], offset[t], normals[t]);
      }
      return trees;
    }
  }
}
