package io.fraudlake.serve;

/** A request the service refuses, with the HTTP status and the one-line reason sent back as JSON. */
public final class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public BadRequestException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public BadRequestException(String message) {
    this(400, message);
  }

  public int status() {
    return status;
  }
}
