package io.fraudlake.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import org.junit.jupiter.api.Test;

class ModelUriTest {
  @Test
  void parsesVersionsAndAliases() {
    ModelUri v = ModelUri.parse("models:/fraud_isolation_forest/3");
    assertEquals("fraud_isolation_forest", v.name());
    assertEquals(3, v.version().getAsLong());
    assertFalse(v.isAlias());
    assertEquals("models:/fraud_isolation_forest/3", v.toString());

    ModelUri a = ModelUri.parse("models:/fraud_isolation_forest@prod");
    assertEquals("prod", a.alias());
    assertTrue(a.version().isEmpty());
    assertEquals(a, ModelUri.ofAlias("fraud_isolation_forest", "prod"));
    assertEquals("models:/fraud_isolation_forest@prod", a.toString());
  }

  @Test
  void malformedUrisAreOneLineErrors() {
    for (String bad : new String[] {"", "fraud/3", "models:/", "models:/name", "models:/name/0", "models:/name/-1",
        "models:/name/Production", "models:/name/3/extra", "models:/name@", "models:/name@9lives",
        "models:/name@latest", "models:/@prod", "models://name/3", "models:/na/me@prod", "runs:/abc/model"}) {
      FraudLakeException e = assertThrows(FraudLakeException.class, () -> ModelUri.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("malformed model URI '"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
