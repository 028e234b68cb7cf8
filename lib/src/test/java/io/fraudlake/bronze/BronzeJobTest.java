package io.fraudlake.bronze;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.Pipelines;
import io.fraudlake.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BronzeJobTest {
  private static final String GOOD = "{\"TransactionID\":\"g-%d\",\"event_timestamp\":\"2024-03-10T08:00:0%dZ\","
      + "\"card_id\":\"c\",\"TransactionAmt\":1.5,\"ProductCD\":\"W\"}";

  @Test
  void aBatchWithoutBadLinesCommitsNothingToQuarantineAndBadLinesStillArrive() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig(Map.of("landing.max-files-per-trigger", "1")));
    Pipelines.land(lakehouse, "good.jsonl", List.of(String.format(GOOD, 1, 1), String.format(GOOD, 2, 2)));
    BronzeStats first = Pipelines.bronzeOnce(lakehouse);

    assertEquals(2, first.written());
    assertEquals(0, first.quarantined());
    // Only the CREATE TABLE commit: an empty append would add a commit per micro-batch.
    assertEquals(1, lakehouse.deltaTable(Tables.QUARANTINE).history().count());

    Pipelines.land(lakehouse, "mixed.jsonl", List.of(String.format(GOOD, 3, 3), "not json"));
    BronzeStats second = Pipelines.bronzeOnce(lakehouse);

    assertEquals(1, second.written());
    assertEquals(Map.of("not valid JSON", 1L), second.reasons());
    assertEquals(3, lakehouse.read(Tables.BRONZE).count());
    assertEquals(List.of("not json"), lakehouse.read(Tables.QUARANTINE).select("raw").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList());
  }
}
