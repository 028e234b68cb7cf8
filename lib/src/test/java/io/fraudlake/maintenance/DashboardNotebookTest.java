package io.fraudlake.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fraudlake.scoring.GoldSchema;
import io.fraudlake.spark.DeltaWrites;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.sql.SqlRunner;
import io.fraudlake.sql.SqlScript;
import io.fraudlake.testing.SharedSpark;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** notebooks/fraud_dashboard.sql, statement by statement, on gold rows whose answers are known. */
class DashboardNotebookTest {
  @Test
  void theDashboardQueriesAnswerFromTheClusteredTables() {
    Lakehouse lakehouse = SharedSpark.lakehouse(SharedSpark.freshConfig());
    lakehouse.createIfMissing(Tables.GOLD, GoldSchema.PREDICTIONS);
    lakehouse.createIfMissing(Tables.FEATURE_DRIFT, GoldSchema.FEATURE_DRIFT);
    // Batch b holds transactions n = 1000 b + i (i < 7), n seconds after the start; i = 0 is the alert.
    for (long batch = 0; batch < 6; batch++) {
      DeltaWrites.appendOnce(lakehouse, TableLayoutTest.goldRows(lakehouse, batch, 7), Tables.GOLD, "dashboard-test", batch);
    }
    new TableMaintenance(lakehouse).run(List.of(), false);
    lakehouse.registerTables();

    List<List<Row>> results = SqlScript.statements(SqlRunner.readFile(SharedSpark.projectDir().resolve("notebooks/fraud_dashboard.sql")))
        .stream().map(sql -> lakehouse.spark().sql(sql).collectAsList()).toList();
    assertEquals(8, results.size(), "two variables declared, two set, four queries");

    List<Row> perHour = results.get(4);
    assertEquals(42, perHour.stream().mapToLong(r -> r.<Long>getAs("transactions")).sum());
    assertEquals(6, perHour.stream().mapToLong(r -> r.<Long>getAs("alerts")).sum());
    assertEquals(2, perHour.size(), "83 minutes of events from 10:00: two hours");

    // The last hour ends at n = 5006: the alerts of batches 2 to 5, the newest batch's score highest.
    List<String> top = results.get(5).stream().map(r -> r.<String>getAs("TransactionID")).toList();
    assertEquals(List.of("g-5000", "g-4000", "g-3000", "g-2000"), top);

    // The most suspicious transaction of the last hour is n = 5006, on card 5006 % 11 = 1.
    long[] ofCard1 = LongStream.range(0, 6).flatMap(b -> LongStream.range(0, 7).map(i -> 1000 * b + i)).filter(n -> n % 11 == 1)
        .toArray();
    List<Row> history = results.get(6);
    assertEquals(ofCard1.length, history.size());
    assertEquals("g-5006", history.get(0).getAs("TransactionID"));

    assertEquals(List.of(), results.get(7), "no drift rows yet");
  }
}
