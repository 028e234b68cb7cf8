package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class IsolationForestErrorsTest {
  private static final StructType SCHEMA = new StructType().add("features", new VectorUDT());

  private static Dataset<Row> rows(double[]... values) {
    List<Row> out = new ArrayList<>();
    for (double[] v : values) {
      out.add(RowFactory.create(Vectors.dense(v)));
    }
    return SharedSpark.session().createDataFrame(out, SCHEMA);
  }

  private static void assertOneLineError(Executable action, String... fragments) {
    FraudLakeException error = assertThrows(FraudLakeException.class, action);
    assertTrue(!error.getMessage().contains("\n"), error.getMessage());
    for (String fragment : fragments) {
      assertTrue(error.getMessage().contains(fragment), error.getMessage());
    }
  }

  @Test
  void badParamsAreRejectedByTheSetters() {
    IsolationForest forest = new IsolationForest();
    assertOneLineError(() -> forest.setContamination(0.0), "contamination", "(0, 0.5]", "0.0");
    assertOneLineError(() -> forest.setContamination(0.6), "contamination", "0.6");
    assertOneLineError(() -> forest.setNumTrees(0), "numTrees", "at least 1");
    assertOneLineError(() -> forest.setMaxSamples(1), "maxSamples", "at least 2");
    assertOneLineError(() -> forest.setMaxFeatures(0.0), "maxFeatures", "(0, 1]");
    assertOneLineError(() -> forest.setMaxFeatures(1.5), "maxFeatures", "1.5");
    assertOneLineError(forest::getThreshold, "no explicit threshold");
  }

  @Test
  void badParamsSetAroundTheSettersAreRejectedByFit() {
    IsolationForest forest = new IsolationForest();
    forest.set(forest.contamination(), 0.9);
    assertOneLineError(() -> forest.fit(rows(new double[] {1}, new double[] {2})), "contamination", "0.9");
  }

  @Test
  void badInputIsNamed() {
    IsolationForest forest = new IsolationForest().setNumTrees(3);
    assertOneLineError(() -> forest.fit(rows()), "empty", "'features'");
    assertOneLineError(() -> forest.setFeaturesCol("missing").fit(rows(new double[] {1})), "'missing'", "not found");
    forest.setFeaturesCol("features");
    Dataset<Row> text = SharedSpark.session().createDataFrame(
        List.of(RowFactory.create("a")), new StructType().add("features", DataTypes.StringType));
    assertOneLineError(() -> forest.fit(text), "'features'", "must be an ML Vector", "VectorAssembler");
    assertOneLineError(() -> forest.fit(rows(new double[] {1, 2}, new double[] {Double.NaN, 1})),
        "'features'", "NaN or infinite", "feature 0", "Imputer");
    assertOneLineError(() -> forest.fit(rows(new double[] {1, 2}, new double[] {3, Double.POSITIVE_INFINITY})),
        "NaN or infinite", "feature 1");
    assertOneLineError(() -> forest.fit(rows(new double[] {1, 2}, new double[] {3})), "different sizes");
    assertOneLineError(() -> forest.fit(rows(new double[] {1, 2})), "only 1 row");
  }

  @Test
  void samplesLargerThanTheInputAreClampedToIt() {
    Dataset<Row> small = rows(new double[] {1, 0}, new double[] {2, 1}, new double[] {3, 0}, new double[] {40, 9});
    IsolationForestModel model = new IsolationForest().setNumTrees(10).setMaxSamples(256).fit(small);
    assertEquals(4, model.sampleSize());
    for (IsolationTree tree : model.trees()) {
      assertTrue(tree.height() <= 2);
      assertEquals(4, tree.size[0]);
    }
    // Scoring fails inside a Spark task, which wraps our message.
    Exception error = assertThrows(Exception.class, () -> model.transform(rows(new double[] {1, 2, 3})).collectAsList());
    assertTrue(error.getMessage().contains("vectors of size 3 but the model was trained on 2 features"),
        error.getMessage());
  }
}
