package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class FeatureReferenceTest {
  private final Dataset<Row> silver = SilverFixture.rows(SharedSpark.session(), 3_000, 0.05, 11);

  @Test
  void binsEveryFeatureIntoQuantilesWhoseSharesAddUpToOne() {
    FeatureReference reference = FeatureReference.compute(silver, ModelFeatures.NAMES, 10);

    assertEquals(3_000, reference.rows());
    assertEquals(ModelFeatures.NAMES, reference.features().stream().map(FeatureReference.Feature::name).toList());
    for (FeatureReference.Feature feature : reference.features()) {
      assertEquals(feature.edges().length + 1, feature.proportions().length);
      assertEquals(1.0, Arrays.stream(feature.proportions()).sum(), 1e-9, feature.name());
      for (int i = 1; i < feature.edges().length; i++) {
        assertTrue(feature.edges()[i - 1] < feature.edges()[i], "edges ascend strictly: " + feature.name());
      }
    }
    FeatureReference.Feature amount = reference.feature("TransactionAmt");
    assertEquals(9, amount.edges().length, "a continuous feature gets all its bins");
    for (double share : amount.proportions()) {
      assertEquals(0.1, share, 0.02);
    }
    FeatureReference.Feature flag = reference.feature("is_international_txn");
    assertTrue(flag.bins() <= 3, "a 0/1 flag collapses to few bins");
  }

  @Test
  void aRareFlagAndEachSmallCountGetABinOfTheirOwn() {
    FeatureReference reference = FeatureReference.compute(silver, ModelFeatures.NAMES, 10);

    FeatureReference.Feature flag = reference.feature("is_international_txn");
    double setShare = silver.where("is_international_txn = 1").count() / 3_000.0;
    assertTrue(setShare > 0 && setShare < 0.1, "set on fewer rows than one bin's share: " + setShare);
    assertArrayEquals(new double[] {0.5}, flag.edges(), "0 and 1 in separate bins");
    assertArrayEquals(new double[] {1 - setShare, setShare}, flag.proportions(), 1e-12);

    FeatureReference.Feature count = reference.feature("txn_count_5min");
    assertEquals(1.5, count.edges()[0], "the smallest count (1) is a bin of its own, not the empty bin below it");
    assertEquals(silver.where("txn_count_5min = 1").count() / 3_000.0, count.proportions()[0], 1e-12);
  }

  @Test
  void binOfFollowsTheDocumentedHalfOpenRule() {
    FeatureReference.Feature feature = new FeatureReference.Feature("x", new double[] {1.0, 2.0}, new double[] {0.2, 0.5, 0.3}, 0, 3, 1.5);
    assertEquals(0, feature.binOf(0.5));
    assertEquals(1, feature.binOf(1.0));
    assertEquals(1, feature.binOf(1.5));
    assertEquals(2, feature.binOf(2.0));
    assertEquals(2, feature.binOf(99.0));
  }

  @Test
  void roundTripsThroughJson() {
    FeatureReference reference = FeatureReference.compute(silver, ModelFeatures.NAMES, 5);
    FeatureReference back = FeatureReference.fromJson(reference.toJson());
    assertEquals(reference.rows(), back.rows());
    for (int i = 0; i < reference.features().size(); i++) {
      assertArrayEquals(reference.features().get(i).edges(), back.features().get(i).edges());
      assertArrayEquals(reference.features().get(i).proportions(), back.features().get(i).proportions());
    }
  }
}
