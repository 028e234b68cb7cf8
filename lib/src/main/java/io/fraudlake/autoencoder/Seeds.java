package io.fraudlake.autoencoder;

import java.util.SplittableRandom;

/**
 * Independent, reproducible random streams, one per purpose, epoch and partition of a seed. Each
 * key is folded in through SplittableRandom's own output mixing, so nearby seeds or partitions do
 * not give overlapping streams (as {@code new SplittableRandom(seed + partition)} would).
 */
final class Seeds {
  static final long INITIAL_WEIGHTS_STREAM = 1;
  static final long BATCH_STREAM = 2;
  static final long ERROR_SAMPLE_STREAM = 3;
  static final long ROW_ORDER_STREAM = 4;

  private Seeds() {}

  static SplittableRandom random(long seed, long stream, long epoch, long partition) {
    long state = seed;
    for (long key : new long[] {stream, epoch, partition}) {
      state = new SplittableRandom(state ^ key).nextLong();
    }
    return new SplittableRandom(state);
  }
}
