package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mlflow_project.google.protobuf.Descriptors.FieldDescriptor;
import org.mlflow_project.google.protobuf.InvalidProtocolBufferException;
import org.mlflow_project.google.protobuf.Message;
import org.mlflow_project.google.protobuf.util.JsonFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MLflow's REST API over the JDK's HTTP client, with MLflow's own protobuf messages (from the
 * mlflow-client jar) as request and response bodies. GETs carry the request as query parameters
 * and other methods as a JSON body, as MLflow's server expects. HTTP 429 and 5xx are retried with
 * a bounded exponential back-off; other failures become one-line {@link FraudLakeException}s.
 */
final class MlflowRestClient {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowRestClient.class);
  private static final Set<Integer> RETRYABLE = Set.of(429, 500, 502, 503, 504);
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames();
  // Newer servers add fields; the client must not break on them.
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** An error answer from the server, with MLflow's error code when it sent one. */
  static final class ApiException extends FraudLakeException {
    final int status;
    final String errorCode;
    final String serverMessage;

    ApiException(String message, int status, String errorCode, String serverMessage) {
      super(message);
      this.status = status;
      this.errorCode = errorCode;
      this.serverMessage = serverMessage;
    }

    boolean is(String code) {
      return code.equals(errorCode);
    }
  }

  private final MlflowConnection connection;
  private final HttpClient http;

  MlflowRestClient(MlflowConnection connection) {
    this.connection = connection;
    this.http = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  MlflowConnection connection() {
    return connection;
  }

  /** Calls {@code /api/2.0/<endpoint>} and parses the answer with {@code response}. */
  @SuppressWarnings("unchecked")
  <T extends Message> T call(String method, String endpoint, Message request, Message.Builder response) {
    return callAt(connection.hostUrl(), method, endpoint, request, response);
  }

  /** As {@link #call}, against another server base URL (an artifact proxy on a different host). */
  @SuppressWarnings("unchecked")
  <T extends Message> T callAt(String base, String method, String endpoint, Message request, Message.Builder response) {
    URI uri;
    HttpRequest.BodyPublisher body;
    if (method.equals("GET")) {
      uri = apiUri(base, endpoint, queryString(request));
      body = HttpRequest.BodyPublishers.noBody();
    } else {
      uri = apiUri(base, endpoint, null);
      body = HttpRequest.BodyPublishers.ofString(toJson(request), StandardCharsets.UTF_8);
    }
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .method(method, body)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    HttpResponse<String> answer = send(builder, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), method, endpoint);
    try {
      String text = answer.body() == null || answer.body().isBlank() ? "{}" : answer.body();
      PARSER.merge(text, response);
      return (T) response.build();
    } catch (InvalidProtocolBufferException e) {
      throw new FraudLakeException(connection.describe() + " sent an answer to " + endpoint
          + " that is not MLflow's JSON: " + YamlFiles.firstLine(connection.redact(e.getMessage())));
    }
  }

  /** PUTs a local file to the server's artifact proxy at {@code artifactPath}. */
  void uploadArtifact(String base, String artifactPath, Path localFile) {
    HttpRequest.Builder builder;
    try {
      builder = HttpRequest.newBuilder(artifactUri(base, artifactPath)).timeout(Duration.ofMinutes(10))
          .PUT(HttpRequest.BodyPublishers.ofFile(localFile))
          .header("Content-Type", "application/octet-stream");
    } catch (IOException e) {
      throw new FraudLakeException("cannot read artifact " + localFile + ": " + e.getMessage(), e);
    }
    send(builder, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), "PUT", "mlflow-artifacts/artifacts/" + artifactPath);
  }

  /** GETs one artifact from the proxy into {@code target}. */
  void downloadArtifact(String base, String artifactPath, Path target) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(artifactUri(base, artifactPath)).timeout(Duration.ofMinutes(10)).GET();
    HttpResponse<InputStream> answer =
        send(builder, HttpResponse.BodyHandlers.ofInputStream(), "GET", "mlflow-artifacts/artifacts/" + artifactPath);
    try (InputStream in = answer.body()) {
      Files.createDirectories(target.getParent());
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new FraudLakeException("cannot download artifact '" + artifactPath + "' from "
          + connection.describe() + ": " + e.getMessage(), e);
    }
  }

  private static URI artifactUri(String base, String artifactPath) {
    StringBuilder encoded = new StringBuilder();
    for (String part : artifactPath.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      encoded.append('/').append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return URI.create(base + "/api/2.0/mlflow-artifacts/artifacts" + encoded);
  }

  private static URI apiUri(String base, String endpoint, String query) {
    return URI.create(base + "/api/2.0/" + endpoint + (query == null || query.isEmpty() ? "" : "?" + query));
  }

  static String toJson(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot serialise " + message.getDescriptorForType().getName(), e);
    }
  }

  /** Query parameters for a GET: one per set scalar field, repeated fields as repeated parameters. */
  static String queryString(Message request) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<FieldDescriptor, Object> e : request.getAllFields().entrySet()) {
      FieldDescriptor field = e.getKey();
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new IllegalArgumentException("MLflow GET requests take scalar parameters only: " + field.getName());
      }
      List<?> values = field.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      for (Object v : values) {
        String text = v instanceof org.mlflow_project.google.protobuf.Descriptors.EnumValueDescriptor ev
            ? ev.getName() : String.valueOf(v);
        parts.add(URLEncoder.encode(field.getName(), StandardCharsets.UTF_8) + "="
            + URLEncoder.encode(text, StandardCharsets.UTF_8));
      }
    }
    return String.join("&", parts);
  }

  private <B> HttpResponse<B> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<B> handler, String method,
      String endpoint) {
    connection.authorization().ifPresent(a -> builder.header("Authorization", a));
    builder.header("User-Agent", "fraudlake");
    HttpRequest request = builder.build();
    MlflowConnection.RetryPolicy policy = connection.retryPolicy();
    long backoff = policy.initialBackoff().toMillis();
    for (int attempt = 1; ; attempt++) {
      HttpResponse<B> answer;
      try {
        answer = http.send(request, handler);
      } catch (HttpConnectTimeoutException | ConnectException e) {
        throw unreachable(e);
      } catch (HttpTimeoutException e) {
        throw new FraudLakeException(connection.describe() + " did not answer " + method + " " + endpoint + " in time");
      } catch (IOException e) {
        throw unreachable(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FraudLakeException("interrupted while calling " + connection.describe());
      }
      int status = answer.statusCode();
      LOG.debug("{} {} {} -> HTTP {}", connection.describe(), method, endpoint, status);
      if (status >= 200 && status < 300) {
        return answer;
      }
      if (RETRYABLE.contains(status) && attempt < policy.maxAttempts()) {
        drain(answer);
        LOG.warn("{} answered HTTP {} to {} {}; retrying in {} ms (attempt {} of {})",
            connection.describe(), status, method, endpoint, backoff, attempt + 1, policy.maxAttempts());
        sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
        continue;
      }
      throw error(status, bodyText(answer), method, endpoint);
    }
  }

  private FraudLakeException unreachable(Exception e) {
    String why = e.getMessage() == null || e.getMessage().isBlank()
        ? (e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName())
        : e.getMessage();
    return new FraudLakeException(connection.describe() + " is unreachable: " + YamlFiles.firstLine(connection.redact(why)), e);
  }

  private FraudLakeException error(int status, String body, String method, String endpoint) {
    if (status == 401 || status == 403) {
      return new FraudLakeException("MLflow rejected the credentials (HTTP " + status + ") at " + connection.baseUri());
    }
    String errorCode = null;
    String message = body;
    try {
      com.fasterxml.jackson.databind.JsonNode json = JSON.readTree(body);
      if (json != null && json.isObject()) {
        errorCode = json.path("error_code").isTextual() ? json.path("error_code").asText() : null;
        message = json.path("message").isTextual() ? json.path("message").asText() : body;
      }
    } catch (IOException | RuntimeException notJson) {
      // Proxies answer with HTML; the status line is then the useful part.
    }
    message = YamlFiles.firstLine(connection.redact(message));
    if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    return new ApiException("MLflow " + method + " " + endpoint + " failed (HTTP " + status
        + (errorCode == null ? "" : " " + errorCode) + "): " + message, status, errorCode, message);
  }

  private static String bodyText(HttpResponse<?> answer) {
    Object body = answer.body();
    if (body instanceof String s) {
      return s;
    }
    if (body instanceof InputStream in) {
      try (in) {
        return new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }
    return "";
  }

  private static void drain(HttpResponse<?> answer) {
    if (answer.body() instanceof InputStream in) {
      try (in) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      } catch (IOException ignored) {
        // The connection is dropped anyway.
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FraudLakeException("interrupted while retrying an MLflow request");
    }
  }
}
