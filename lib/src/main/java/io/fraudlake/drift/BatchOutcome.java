package io.fraudlake.drift;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One production batch of a drift simulation.
 *
 * @param prod the figures of the model @prod when the batch arrived (the one that scored it)
 * @param withoutRetraining the reference model's figures on the same batch, once a retrained model is @prod
 *     (null while the reference model is itself @prod): what the batch would have looked like without retraining
 * @param psi PSI per feature of the batch against @prod's training reference, in the model's feature order
 * @param drifted the features whose PSI reached the threshold: any makes the batch trigger retraining
 * @param retrain what the trigger did in a {@code --retrain} run, null when nothing was retrained
 */
public record BatchOutcome(int batch, Instant from, Instant to, String drift, long rows, long fraud, ModelFigures prod,
    ModelFigures withoutRetraining, Map<String, Double> psi, List<String> drifted, RetrainOutcome retrain) {
  public BatchOutcome {
    psi = Collections.unmodifiableMap(new LinkedHashMap<>(psi));
    drifted = List.copyOf(drifted);
  }

  public boolean triggered() {
    return !drifted.isEmpty();
  }

  /** The figures without retraining: the reference model's, whichever model was @prod. */
  public ModelFigures reference() {
    return withoutRetraining != null ? withoutRetraining : prod;
  }

  BatchOutcome withRetrain(RetrainOutcome outcome) {
    return new BatchOutcome(batch, from, to, drift, rows, fraud, prod, withoutRetraining, psi, drifted, outcome);
  }
}
