package io.fraudlake.silver;

import java.util.Locale;

/** What a silver run did, summed over its micro-batches. */
public final class SilverStats {
  private long batches;
  private long input;
  private long written;
  private long duplicates;
  private long late;
  private long nanos;
  private long waiting;

  synchronized void addBatch(long inputRows, long writtenRows, long duplicateRows, long lateRows,
      long batchNanos) {
    batches++;
    input += inputRows;
    written += writtenRows;
    duplicates += duplicateRows;
    late += lateRows;
    nanos += batchNanos;
  }

  public synchronized void setWaiting(long rows) {
    waiting = rows;
  }

  public synchronized long batches() {
    return batches;
  }

  public synchronized long input() {
    return input;
  }

  public synchronized long written() {
    return written;
  }

  public synchronized long duplicates() {
    return duplicates;
  }

  public synchronized long late() {
    return late;
  }

  public synchronized long waiting() {
    return waiting;
  }

  public synchronized double seconds() {
    return nanos / 1e9;
  }

  public synchronized String summary(boolean stream) {
    String s = String.format(Locale.ROOT,
        "silver: %,d bronze rows read, %,d rows written to silver_transactions_base, %,d duplicates removed",
        input, written, duplicates);
    if (stream) {
      s += String.format(Locale.ROOT, ", %,d arrived later than the lateness (written with arrived_late = true), "
          + "%,d waiting for the watermark (%d micro-batches)", late, waiting, batches);
    }
    return s;
  }
}
