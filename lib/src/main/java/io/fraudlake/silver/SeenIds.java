package io.fraudlake.silver;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.util.sketch.BloomFilter;

/**
 * Every TransactionID silver holds, as Bloom filters: "certainly new" for almost every incoming
 * event, "maybe seen" for the rest, which the caller then looks up in silver itself. So the check is
 * exact, costs about 4 bytes of driver memory per silver row, and reads silver only for the rare
 * re-sent event (and about one false alarm in ten million).
 *
 * <p>A filter cannot grow without losing its error rate, so a full one is kept and a new one of twice
 * its capacity takes the new IDs (a scalable Bloom filter): no rebuild from silver while running.
 */
final class SeenIds {
  static final double FALSE_POSITIVE_RATE = 1e-7;
  private static final long MIN_CAPACITY = 1L << 20;

  private final List<BloomFilter> full = new ArrayList<>();
  private BloomFilter current;
  private long currentCapacity;
  private long currentItems;

  /** Starts from the IDs already in silver (built by Spark over that column). */
  SeenIds(BloomFilter existing, long capacity, long items) {
    this.current = existing;
    this.currentCapacity = capacity;
    this.currentItems = items;
  }

  /** The capacity to build the first filter with, for a silver of {@code rows} rows. */
  static long capacityFor(long rows) {
    return Math.max(MIN_CAPACITY, 2 * rows);
  }

  boolean mightContain(String id) {
    if (current.mightContainString(id)) {
      return true;
    }
    for (BloomFilter f : full) {
      if (f.mightContainString(id)) {
        return true;
      }
    }
    return false;
  }

  void add(String id) {
    if (currentItems >= currentCapacity) {
      full.add(current);
      currentCapacity *= 2;
      current = BloomFilter.create(currentCapacity, FALSE_POSITIVE_RATE);
      currentItems = 0;
    }
    current.putString(id);
    currentItems++;
  }

  /** Bits held, for the log line that tells an operator what the state costs. */
  long bits() {
    long bits = current.bitSize();
    for (BloomFilter f : full) {
      bits += f.bitSize();
    }
    return bits;
  }
}
