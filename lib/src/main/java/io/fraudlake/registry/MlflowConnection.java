package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * Where an MLflow server is and how to authenticate to it. The credentials never leave this
 * object except as an Authorization header: {@link #toString()} and {@link #describe()} redact
 * them, and {@link #redact(String)} scrubs them out of any text before it reaches a message or log.
 */
public final class MlflowConnection {
  /** Retries for HTTP 429 and 5xx: attempts in all, and the first back-off (doubled each time). */
  public record RetryPolicy(int maxAttempts, Duration initialBackoff) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(500));
  }

  private final URI baseUri;
  private final String token;
  private final String username;
  private final String password;
  private final boolean databricks;
  private final RetryPolicy retryPolicy;

  private MlflowConnection(URI baseUri, String token, String username, String password, boolean databricks,
      RetryPolicy retryPolicy) {
    this.baseUri = baseUri;
    this.token = blankToNull(token);
    this.username = blankToNull(username);
    this.password = blankToNull(password);
    this.databricks = databricks;
    this.retryPolicy = retryPolicy;
  }

  /** An MLflow tracking server; {@code token} (bearer) or {@code username}/{@code password} (basic) may be null. */
  public static MlflowConnection server(String url, String token, String username, String password) {
    return new MlflowConnection(parseHttpUrl(url, "MLFLOW_TRACKING_URI"), token, username, password, false,
        RetryPolicy.DEFAULT);
  }

  /** A Databricks workspace's MLflow (workspace model registry), authenticated by a personal access token. */
  public static MlflowConnection databricks(String host, String token) {
    if (host == null || host.isBlank()) {
      throw new FraudLakeException("MLFLOW_TRACKING_URI is 'databricks' but DATABRICKS_HOST is not set");
    }
    if (token == null || token.isBlank()) {
      throw new FraudLakeException("MLFLOW_TRACKING_URI is 'databricks' but DATABRICKS_TOKEN is not set");
    }
    String url = host.trim().matches("(?i)https?://.*") ? host.trim() : "https://" + host.trim();
    return new MlflowConnection(parseHttpUrl(url, "DATABRICKS_HOST"), token, null, null, true, RetryPolicy.DEFAULT);
  }

  public MlflowConnection withRetryPolicy(RetryPolicy policy) {
    return new MlflowConnection(baseUri, token, username, password, databricks, policy);
  }

  private static URI parseHttpUrl(String url, String variable) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      // The URL may carry user:password, so the message names the variable, not its value.
      throw new FraudLakeException(variable + " is not a valid URL");
    }
    if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
      throw new FraudLakeException(variable + " must be an http:// or https:// URL with a host");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
    try {
      // User info in the URL is dropped from the base and kept out of every message.
      return new URI(uri.getScheme().toLowerCase(), null, uri.getHost(), uri.getPort(), path.isEmpty() ? null : path,
          null, null);
    } catch (URISyntaxException e) {
      throw new FraudLakeException(variable + " is not a valid URL");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Scheme, host, port and path of the server, without credentials. */
  public URI baseUri() {
    return baseUri;
  }

  public boolean isDatabricks() {
    return databricks;
  }

  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  String hostUrl() {
    return baseUri.toString();
  }

  Optional<String> token() {
    return Optional.ofNullable(token);
  }

  Optional<String> username() {
    return Optional.ofNullable(username);
  }

  Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** The Authorization header value, if any credentials are configured. */
  Optional<String> authorization() {
    if (token != null) {
      return Optional.of("Bearer " + token);
    }
    if (username != null && password != null) {
      return Optional.of("Basic " + Base64.getEncoder()
          .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
    return Optional.empty();
  }

  /** Replaces any configured secret appearing in {@code text} with {@code ***}. */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    String basic = username != null && password != null
        ? Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8))
        : null;
    for (String secret : new String[] {token, password, basic}) {
      if (secret != null && !secret.isEmpty()) {
        out = out.replace(secret, "***");
      }
    }
    return out;
  }

  public String describe() {
    return (databricks ? "Databricks MLflow at " : "MLflow server at ") + baseUri;
  }

  @Override
  public String toString() {
    String auth = token != null ? "token=***" : username != null ? "username=" + username + ", password=***" : "no credentials";
    return "MlflowConnection[" + baseUri + ", " + (databricks ? "databricks, " : "") + auth + "]";
  }
}
