package io.fraudlake.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class PromotionGateTest {
  private final PromotionGate gate = new PromotionGate(0.75, 0.005);

  @Test
  void withoutACurrentModelOnlyTheMinimumCounts() {
    assertTrue(gate.decide("challenger v1", 0.80, "prod", OptionalDouble.empty()).passed());
    PromotionGate.Decision refused = gate.decide("challenger v1", 0.70, "prod", OptionalDouble.empty());
    assertFalse(refused.passed());
    assertEquals("challenger v1 ROC-AUC 0.7000 is below the minimum 0.7500", refused.reason());
  }

  @Test
  void theCandidateMustNotBeWorseThanTheCurrentModelBeyondTheTolerance() {
    assertTrue(gate.decide("challenger v2", 0.846, "prod v1", OptionalDouble.of(0.850)).passed(), "within tolerance");
    assertTrue(gate.decide("challenger v2", 0.900, "prod v1", OptionalDouble.of(0.850)).passed());
    PromotionGate.Decision refused = gate.decide("challenger v2", 0.800, "prod v1", OptionalDouble.of(0.850));
    assertFalse(refused.passed());
    assertEquals("challenger v2 ROC-AUC 0.8000 is worse than prod v1 ROC-AUC 0.8500 on the same window "
        + "(allowed tolerance 0.0050)", refused.reason());
  }

  @Test
  void theMinimumAppliesEvenWhenTheCurrentModelIsWorse() {
    assertFalse(gate.decide("challenger v2", 0.70, "prod v1", OptionalDouble.of(0.60)).passed());
  }

  @Test
  void anUndefinedRocAucIsRefused() {
    assertFalse(gate.decide("challenger v2", Double.NaN, "prod v1", OptionalDouble.empty()).passed());
  }

  @Test
  void rejectsNonsenseLimits() {
    assertThrows(FraudLakeException.class, () -> new PromotionGate(1.5, 0.0));
    assertThrows(FraudLakeException.class, () -> new PromotionGate(0.7, -0.1));
  }
}
