package io.fraudlake.scoring;

import java.sql.Timestamp;

/**
 * What gold already held when a scoring query started from an empty checkpoint (first run after
 * {@code score --reset}, a deleted checkpoint, or a backfill into gold): the Delta version and the
 * event-time range of those rows. That query skips the transactions present in this snapshot, so a
 * new checkpoint never doubles a row; rows it writes itself are protected by idempotent appends.
 */
public record GoldHorizon(long goldVersion, long rows, Timestamp minEventTime, Timestamp maxEventTime) {
  /** Whether a batch with this event-time range may hold transactions of the snapshot. */
  boolean mayOverlap(Timestamp batchMin, Timestamp batchMax) {
    if (rows == 0 || batchMin == null || batchMax == null || minEventTime == null || maxEventTime == null) {
      return rows > 0;
    }
    return !batchMax.before(minEventTime) && !batchMin.after(maxEventTime);
  }
}
