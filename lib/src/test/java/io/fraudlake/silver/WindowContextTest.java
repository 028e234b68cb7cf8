package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fraudlake.silver.WindowContext.Entry;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowContextTest {
  @Test
  void entriesComeBackAsTheyWentInNullsAndNonAsciiIncluded() {
    List<Entry> entries = List.of(
        new Entry(-5_000_001L, "tx-ä€𝄞", 12.25, null, null),
        new Entry(0L, "", -0.0, "W", null),
        new Entry(1_710_057_600_000_001L, "tx-2", Double.MAX_VALUE, "Ωmega", null));

    assertEquals(entries, WindowContext.decode(WindowContext.encode(entries)));
    assertEquals(List.of(), WindowContext.decode(WindowContext.encode(List.of())));
  }

  @Test
  void anEventWaitingToBeEmittedIsStoredAsContextOnly() {
    Entry waiting = new Entry(7L, "tx-1", 3.5, "C", org.apache.spark.sql.RowFactory.create("tx-1"));

    assertEquals(List.of(waiting.asContext()), WindowContext.decode(WindowContext.encode(List.of(waiting))));
  }

  @Test
  void aValueWithBytesAfterItsEntriesIsRefused() {
    byte[] bytes = WindowContext.encode(List.of(new Entry(1L, "tx", 1.0, "W", null)));
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> WindowContext.decode(longer));
    assertEquals("window context of " + longer.length + " bytes has 3 bytes after its 1 entries", e.getMessage());
  }
}
