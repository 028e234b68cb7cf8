package io.fraudlake.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.testing.SharedSpark;
import java.time.Duration;
import java.time.Instant;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class TimeSplitTest {
  private final Dataset<Row> silver = SilverFixture.rows(SharedSpark.session(), 2_000, 0.05, 7).cache();

  @Test
  void trainsOnTheEarliestFractionAndEvaluatesOnTheRest() {
    TimeSplit split = TimeSplit.byFraction(silver, 0.8);
    TimeSplit.Window train = TimeSplit.describe(split.train());
    TimeSplit.Window evaluation = TimeSplit.describe(split.evaluation());

    assertEquals(2_000, train.rows() + evaluation.rows(), "every row is in exactly one part");
    assertEquals(1_600, train.rows(), 20);
    assertTrue(train.to().isBefore(evaluation.from()), "no training row is later than an evaluation row");
    assertTrue(train.to().isBefore(split.cutoff()) && !evaluation.from().isBefore(split.cutoff()));
  }

  @Test
  void rowsSharingTheCutoffTimeAllGoToEvaluation() {
    // Many transactions in the same second: the cutoff must not cut through them.
    Dataset<Row> sameSecond = silver.withColumn("event_timestamp",
        org.apache.spark.sql.functions.expr("timestamp_seconds(unix_seconds(event_timestamp) div 100 * 100)"));
    TimeSplit split = TimeSplit.byFraction(sameSecond, 0.55);
    TimeSplit.Window train = TimeSplit.describe(split.train());
    TimeSplit.Window evaluation = TimeSplit.describe(split.evaluation());
    assertEquals(2_000, train.rows() + evaluation.rows());
    assertTrue(train.to().isBefore(evaluation.from()));
  }

  @Test
  void trainUntilCutsAtTheGivenTime() {
    Instant cutoff = SilverFixture.START.plusSeconds(500);
    TimeSplit split = TimeSplit.until(silver, cutoff);
    assertEquals(500, split.train().count());
    assertEquals(1_500, split.evaluation().count());
    assertEquals(cutoff, TimeSplit.describe(split.evaluation()).from());
  }

  @Test
  void latestWindowIsMeasuredFromTheNewestEvent() {
    // Rows are one second apart: the last 100 seconds before the newest row, inclusive, are 101 rows.
    assertEquals(101, TimeSplit.latestWindow(silver, Duration.ofSeconds(100)).count());
    assertEquals(400, TimeSplit.latestFraction(silver, 0.8).count(), 20);
  }

  @Test
  void refusesFractionsOutsideTheOpenUnitInterval() {
    assertThrows(FraudLakeException.class, () -> TimeSplit.byFraction(silver, 1.0));
    assertThrows(FraudLakeException.class, () -> TimeSplit.byFraction(silver, 0.0));
    assertThrows(FraudLakeException.class, () -> TimeSplit.latestWindow(silver, Duration.ZERO));
  }
}
