package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;

/** The model source (registry, model folder) could not be reached; the model in hand stays valid. */
public class ModelSourceUnavailableException extends FraudLakeException {
  public ModelSourceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
