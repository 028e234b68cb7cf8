package io.fraudlake.registry;

/** MLflow's run states, with the integer codes MLflow's file store writes into a run's meta.yaml. */
public enum RunStatus {
  RUNNING(1),
  SCHEDULED(2),
  FINISHED(3),
  FAILED(4),
  KILLED(5);

  private final int code;

  RunStatus(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static RunStatus fromCode(int code) {
    for (RunStatus status : values()) {
      if (status.code == code) {
        return status;
      }
    }
    throw new IllegalArgumentException("unknown MLflow run status code " + code);
  }

  public boolean isTerminal() {
    return this != RUNNING && this != SCHEDULED;
  }
}
