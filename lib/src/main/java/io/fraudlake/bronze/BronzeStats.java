package io.fraudlake.bronze;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** What a bronze run did, summed over its micro-batches (the driver updates it after each). */
public final class BronzeStats {
  private long batches;
  private long written;
  private long nanos;
  private final Map<String, Long> reasons = new ConcurrentHashMap<>();

  synchronized void addBatch(long bronzeRows, Map<String, Long> quarantineReasons, long batchNanos) {
    batches++;
    written += bronzeRows;
    nanos += batchNanos;
    quarantineReasons.forEach((reason, n) -> reasons.merge(reason, n, Long::sum));
  }

  public synchronized long batches() {
    return batches;
  }

  public synchronized long written() {
    return written;
  }

  public synchronized long quarantined() {
    return reasons.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Quarantine reasons, most frequent first. */
  public synchronized Map<String, Long> reasons() {
    return reasons.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }

  /** Time spent inside micro-batches, in seconds. */
  public synchronized double seconds() {
    return nanos / 1e9;
  }

  public String summary() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "bronze: %,d rows written to bronze_transactions, %,d quarantined in bronze_quarantine (%d micro-batches)",
        written(), quarantined(), batches()));
    if (quarantined() > 0) {
      s.append("; top reasons: ").append(reasons().entrySet().stream().limit(5)
          .map(e -> String.format(Locale.ROOT, "%s (%,d)", e.getKey(), e.getValue()))
          .collect(Collectors.joining(", ")));
    }
    return s.toString();
  }
}
