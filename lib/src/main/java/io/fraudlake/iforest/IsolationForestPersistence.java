package io.fraudlake.iforest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.iforest.NodeTable.Column;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import scala.Option;

/**
 * How an {@link IsolationForestModel} is saved: Spark ML's JSON metadata under {@code metadata/}
 * (params, plus format, numTrees, sampleSize and numFeatures; see {@link ModelFiles}), and the nodes
 * in Parquet under {@code data/} ({@link NodeTable}), one row per node: tree, node (0 is the root),
 * feature (-1 marks a leaf), split (x[feature] &lt;= split goes left), left and right child (right is
 * left + 1), and size (training rows that reached the node). Both are written and read on the
 * driver: saving or loading starts no Spark job.
 */
final class IsolationForestPersistence {
  static final String FORMAT = "fraudlake-isolation-forest-nodes-1";
  private static final String MODEL = "IsolationForestModel";
  private static final int TREE = 0;
  private static final int NODE = 1;
  private static final int FEATURE = 2;
  private static final int SPLIT = 3;
  private static final int LEFT = 4;
  private static final int RIGHT = 5;
  private static final int SIZE = 6;
  private static final NodeTable NODES = new NodeTable(MODEL, Column.ints("tree"), Column.ints("node"),
      Column.ints("feature"), Column.doubles("split"), Column.ints("left"), Column.ints("right"), Column.ints("size"));

  private IsolationForestPersistence() {}

  static final class Writer extends MLWriter {
    private final IsolationForestModel model;

    Writer(IsolationForestModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ModelFiles.writeMetadata(model, path, sparkSession(), new ObjectMapper().createObjectNode()
          .put("format", FORMAT)
          .put("numTrees", model.numTrees())
          .put("sampleSize", model.sampleSize())
          .put("numFeatures", model.numFeatures()));
      IsolationTree[] trees = model.trees();
      int[] nodeCounts = new int[trees.length];
      for (int t = 0; t < trees.length; t++) {
        nodeCounts[t] = trees[t].nodeCount();
      }
      NODES.write(sparkSession(), path, nodeCounts, (t, n, row) -> {
        IsolationTree tree = trees[t];
        boolean leaf = tree.isLeaf(n);
        row.putInt(t).putInt(n).putInt(tree.feature[n]).putDouble(leaf ? 0.0 : tree.split[n])
            .putInt(tree.left[n]).putInt(leaf ? IsolationTree.LEAF : tree.left[n] + 1).putInt(tree.size[n]);
      });
    }
  }

  static final class Reader extends MLReader<IsolationForestModel> {
    @Override
    public IsolationForestModel load(String path) {
      DefaultParamsReader.Metadata metadata =
          ModelFiles.readMetadata(MODEL, path, sparkSession(), IsolationForestModel.class);
      JsonNode json = ModelFiles.extraFields(MODEL, path, metadata, FORMAT, "FraudLake isolation forest");
      IsolationTree[] trees = treesFromNodes(NODES.read(sparkSession(), path), json.get("numTrees").asInt(), path);
      IsolationForestModel model = new IsolationForestModel(metadata.uid(), trees,
          json.get("sampleSize").asInt(), json.get("numFeatures").asInt());
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }

    private static IsolationTree[] treesFromNodes(NodeTable.Nodes nodes, int numTrees, String path) {
      int[] nodeCounts = nodes.nodesPerTree(TREE, NODE, numTrees, MODEL, path);
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
      for (int r = 0; r < nodes.size(); r++) {
        int t = nodes.getInt(TREE, r);
        int n = nodes.getInt(NODE, r);
        feature[t][n] = nodes.getInt(FEATURE, r);
        split[t][n] = nodes.getDouble(SPLIT, r);
        left[t][n] = nodes.getInt(LEFT, r);
        size[t][n] = nodes.getInt(SIZE, r);
        if (feature[t][n] != IsolationTree.LEAF && nodes.getInt(RIGHT, r) != left[t][n] + 1) {
          throw new FraudLakeException(MODEL + ": corrupt node " + n + " of tree " + t + " in " + path);
        }
      }
      IsolationTree[] trees = new IsolationTree[numTrees];
      for (int t = 0; t < numTrees; t++) {
        try {
          trees[t] = new IsolationTree(feature[t], split[t], left[t], size[t]);
        } catch (IllegalArgumentException e) {
          throw new FraudLakeException(MODEL + ": corrupt tree " + t + " in " + path + ": " + e.getMessage(), e);
        }
      }
      return trees;
    }
  }
}
