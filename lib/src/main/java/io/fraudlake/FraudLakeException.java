package io.fraudlake;

/**
 * A problem the user can fix: bad input, a missing table, a refused promotion. The command line
 * prints its message as one line and exits non-zero, without a stack trace.
 */
public class FraudLakeException extends RuntimeException {
  public FraudLakeException(String message) {
    super(message);
  }

  public FraudLakeException(String message, Throwable cause) {
    super(message, cause);
  }
}
