package io.fraudlake.scoring;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the drift step found in one scoring batch: the PSI of each feature it judged, in the model's
 * feature order, and the features at or above the threshold. A batch that was not measured (too few
 * rows, or a model without a feature reference) has neither; a feature with too few values in a
 * measured batch is left out of {@code psi}, as its fraud_feature_drift row has no PSI.
 */
public record BatchDrift(Map<String, Double> psi, List<String> drifted) {
  public static final BatchDrift NOT_MEASURED = new BatchDrift(Map.of(), List.of());

  public BatchDrift {
    // Kept in the caller's order (a LinkedHashMap), which Map.copyOf would not keep.
    psi = Collections.unmodifiableMap(new LinkedHashMap<>(psi));
    drifted = List.copyOf(drifted);
  }

  /** Whether any feature of the batch got a PSI. */
  public boolean measured() {
    return !psi.isEmpty();
  }
}
