package io.fraudlake.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QualityFloorsTest {
  private final QualityFloors floors = new QualityFloors(true, 0.80, 0.15);

  @Test
  void aModelAtOrAboveBothFloorsPasses() {
    assertEquals(Optional.empty(), floors.shortfall(Map.of("roc_auc", 0.9182, "pr_auc", 0.2870)));
    assertEquals(Optional.empty(), floors.shortfall(Map.of("roc_auc", 0.80, "pr_auc", 0.15)), "a floor is reached at equality");
    assertEquals("roc_auc 0.9182 >= 0.8000, pr_auc 0.2870 >= 0.1500", floors.describe(Map.of("roc_auc", 0.9182, "pr_auc", 0.2870)));
  }

  @Test
  void eachMetricBelowItsFloorIsNamedWithItsValueAndTheKey() {
    assertEquals(Optional.of("pr_auc 0.1203 < 0.1500 (model.quality.min-pr-auc)"),
        floors.shortfall(Map.of("roc_auc", 0.91, "pr_auc", 0.1203)));
    assertEquals(Optional.of("roc_auc 0.5012 < 0.8000 (model.quality.min-roc-auc), pr_auc 0.0351 < 0.1500 (model.quality.min-pr-auc)"),
        floors.shortfall(Map.of("roc_auc", 0.5012, "pr_auc", 0.0351)));
  }

  @Test
  void anUndefinedOrMissingMetricDoesNotPass() {
    assertTrue(floors.shortfall(Map.of("roc_auc", Double.NaN, "pr_auc", 0.5)).orElseThrow().startsWith("roc_auc NaN < 0.8000"));
    assertEquals(Optional.of("pr_auc missing < 0.1500 (model.quality.min-pr-auc)"), floors.shortfall(Map.of("roc_auc", 0.9)));
  }

  @Test
  void theReferenceConfigurationDefinesFloorsButDoesNotEnforceThem() {
    QualityFloors defaults = QualityFloors.fromConfig(FraudLakeConfig.defaults(Path.of("unused")));
    assertFalse(defaults.enforced());
    assertTrue(defaults.minRocAuc() > 0.5 && defaults.minPrAuc() > 0.05, "above a model that ranks at random: " + defaults);
    assertTrue(QualityFloors.fromConfig(FraudLakeConfig.defaults(Path.of("unused"), Map.of(QualityFloors.ENFORCE_KEY, "true")))
        .enforced());
  }

  @Test
  void aFloorOutsideZeroToOneIsRefused() {
    FraudLakeException e = assertThrows(FraudLakeException.class, () -> new QualityFloors(true, 1.2, 0.1));
    assertEquals("model.quality.min-roc-auc must be between 0 and 1, not 1.2", e.getMessage());
    assertThrows(FraudLakeException.class, () -> new QualityFloors(true, 0.8, Double.NaN));
  }
}
