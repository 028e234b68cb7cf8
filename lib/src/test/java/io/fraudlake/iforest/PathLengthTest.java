package io.fraudlake.iforest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PathLengthTest {
  @Test
  void smallSizesAreExact() {
    assertEquals(0.0, PathLength.average(0));
    assertEquals(0.0, PathLength.average(1));
    assertEquals(1.0, PathLength.average(2));
  }

  @Test
  void largerSizesFollowTheHarmonicApproximation() {
    // c(3) = 2 (ln 2 + γ) - 4/3 and c(256) = 2 (ln 255 + γ) - 510/256, worked by hand.
    assertEquals(2 * (0.6931471805599453 + 0.5772156649015329) - 4.0 / 3.0, PathLength.average(3), 1e-15);
    assertEquals(1.2073923576, PathLength.average(3), 1e-9);
    assertEquals(10.244770920, PathLength.average(256), 1e-8);
  }

  @Test
  void heightLimitIsCeilingOfLog2() {
    assertEquals(1, PathLength.heightLimit(1));
    assertEquals(1, PathLength.heightLimit(2));
    assertEquals(2, PathLength.heightLimit(3));
    assertEquals(8, PathLength.heightLimit(256));
    assertEquals(9, PathLength.heightLimit(257));
  }
}
