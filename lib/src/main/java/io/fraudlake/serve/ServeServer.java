package io.fraudlake.serve;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fraudlake.FraudLakeException;
import io.fraudlake.scoring.ModelSource;
import io.fraudlake.silver.WindowFeatures;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code serve}: the HTTP service that scores transactions at authorization time. It answers on
 * the JDK's own HTTP server (no Spark on the request path: features come from {@link CardWindows},
 * scores from {@link OnlineScorer}), and gives every request an id ({@code X-Request-Id}, the
 * client's or a new one) that its log lines and its answer carry. Bad input is a 4xx with a JSON
 * {@code error}; a 500 means a defect and is logged with its stack trace.
 */
public final class ServeServer implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(ServeServer.class);
  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final byte[] NOT_READY = "{\"ready\":false,\"reason\":\"shutting down\"}".getBytes(StandardCharsets.UTF_8);

  private final ServeSettings settings;
  private final ServingModels models;
  private final CardWindows windows;
  private final ServeMetrics metrics;
  private final ScoringEndpoints endpoints;
  private final HttpServer http;
  private final ExecutorService workers;
  private final ScheduledExecutorService sweeper;
  private final MetricsHandler metricsHandler;
  private final String requestIdPrefix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36) + "-";
  private final AtomicLong requestSequence = new AtomicLong();
  private final Instant startedAt = Instant.now();
  private volatile boolean draining;

  private ServeServer(ServeSettings settings, ModelSource source) throws IOException {
    this.settings = settings;
    this.windows = new CardWindows(new WindowFeatures(settings.windowSeconds(), settings.highValueThreshold()),
        settings.windowSeconds(), settings.lateness());
    this.metrics = new ServeMetrics(windows::size);
    // The port is taken first, so a port in use fails at once rather than after loading the model.
    try {
      this.http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 1024);
    } catch (BindException e) {
      throw new FraudLakeException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage()
          + " (another process holds the port? choose another with --port)");
    }
    try {
      this.models = ServingModels.start(source, settings.modelCheckInterval(), metrics::serving);
    } catch (RuntimeException e) {
      http.stop(0);
      throw e;
    }
    this.endpoints = new ScoringEndpoints(models, windows, metrics, settings.maxEventsPerRequest());
    this.metricsHandler = new MetricsHandler(metrics.registry());
    AtomicInteger threadNumber = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(settings.threads(), r -> {
      Thread thread = new Thread(r, "fraudlake-serve-" + threadNumber.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    http.setExecutor(workers);
    http.createContext("/", this::handle);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "fraudlake-serve-state-sweep");
      thread.setDaemon(true);
      return thread;
    });
    long sweepMillis = Math.max(1, settings.stateSweepInterval().toMillis());
    sweeper.scheduleWithFixedDelay(windows::evictExpired, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Loads the model, then listens. The JDK server reads its settings once, when its first instance
   * is made, so {@code serve.request-timeout} applies to the first service of a JVM.
   */
  public static ServeServer start(ServeSettings settings, ModelSource source) throws IOException {
    String seconds = Long.toString(Math.max(1, settings.requestTimeout().toSeconds()));
    // The JDK server writes a response's headers and body separately: with Nagle's algorithm on, the
    // body waits for the client's delayed acknowledgement (40 ms on Linux) on every kept-alive request.
    System.setProperty("sun.net.httpserver.nodelay", System.getProperty("sun.net.httpserver.nodelay", "true"));
    System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", seconds));
    System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", seconds));
    ServeServer server = new ServeServer(settings, source);
    server.http.start();
    return server;
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public String url() {
    return "http://" + settings.host() + ":" + port();
  }

  public ServedModel model() {
    return models.current();
  }

  public ServingModels models() {
    return models;
  }

  public CardWindows windows() {
    return windows;
  }

  private void handle(HttpExchange exchange) throws IOException {
    long start = System.nanoTime();
    String requestId = requestId(exchange.getRequestHeaders());
    String path = exchange.getRequestURI().getPath();
    String endpoint = Routes.endpoint(path);
    int status;
    try {
      exchange.getResponseHeaders().set("X-Request-Id", requestId);
      status = route(exchange, path, endpoint, start);
    } catch (BadRequestException e) {
      status = e.status();
      LOG.info("[{}] {} {} -> {}: {}", requestId, exchange.getRequestMethod(), path, status, e.getMessage());
      sendError(exchange, status, e.getMessage(), requestId);
    } catch (IOException e) {
      // The client went away mid-exchange; there is no one to answer.
      status = 499;
      LOG.debug("[{}] {} {}: connection lost: {}", requestId, exchange.getRequestMethod(), path, e.getMessage());
    } catch (RuntimeException e) {
      status = 500;
      LOG.error("[{}] {} {} failed", requestId, exchange.getRequestMethod(), path, e);
      sendError(exchange, status, "internal error (request " + requestId + "); see the service log", requestId);
    } finally {
      exchange.close();
    }
    metrics.request(endpoint, status, System.nanoTime() - start);
  }

  private int route(HttpExchange exchange, String path, String endpoint, long start) throws IOException {
    String method = exchange.getRequestMethod();
    Routes.Route route = Routes.find(path);
    if (route == null) {
      throw new BadRequestException(404, "no endpoint " + path + "; see /docs");
    }
    if (!route.method().equals(method) && !(method.equals("HEAD") && route.method().equals("GET"))) {
      exchange.getResponseHeaders().set("Allow", route.method());
      throw new BadRequestException(405, path + " takes " + route.method() + ", not " + method);
    }
    switch (endpoint) {
      case "transactions" -> sendJson(exchange, 200, endpoints.transactions(body(exchange), start));
      case "predict" -> sendJson(exchange, 200, endpoints.predict(body(exchange), start));
      case "prediction" -> sendJson(exchange, 200, endpoints.prediction(body(exchange)));
      case "model_information" -> sendJson(exchange, 200, ScoringEndpoints.write(json ->
          Json.MAPPER.writeValue(json, models.current().information())));
      case "health" -> sendJson(exchange, 200, ScoringEndpoints.write(json -> Json.MAPPER.writeValue(json, health())));
      case "ready" -> {
        if (draining) {
          sendJson(exchange, 503, NOT_READY);
          return 503;
        }
        ServedModel model = models.current();
        sendJson(exchange, 200, ScoringEndpoints.write(json -> Json.MAPPER.writeValue(json,
            Map.of("ready", true, "model_name", model.name(), "model_version", model.version()))));
      }
      case "metrics" -> {
        metricsHandler.handle(exchange);
        return exchange.getResponseCode();
      }
      default -> {
        Routes.Static page = Routes.staticPage(path);
        send(exchange, 200, page.contentType(), page.bytes());
      }
    }
    return 200;
  }

  private Map<String, Object> health() {
    CardWindows.Size size = windows.size();
    ServedModel model = models.current();
    Map<String, Object> health = new LinkedHashMap<>();
    health.put("status", draining ? "shutting down" : "ok");
    health.put("model_name", model.name());
    health.put("model_version", model.version());
    health.put("model_source", models.describe());
    health.put("started_at", startedAt.toString());
    health.put("state", Map.of("cards", size.cards(), "events", size.events()));
    health.put("watermark", windows.watermarkMicros().isPresent()
        ? Instant.EPOCH.plusNanos(windows.watermarkMicros().getAsLong() * 1000).toString() : null);
    return health;
  }

  /** The body, refused with 413 when longer than {@code serve.max-body-bytes} (before reading it, when the length is declared). */
  private byte[] body(HttpExchange exchange) throws IOException {
    int limit = settings.maxBodyBytes();
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    long length = -1;
    if (declared != null) {
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        throw new BadRequestException("Content-Length '" + declared + "' is not a number");
      }
      if (length > limit) {
        throw new BadRequestException(413, "the body has " + length + " bytes; at most " + limit
            + " are accepted (serve.max-body-bytes)");
      }
    }
    try (InputStream in = exchange.getRequestBody()) {
      // A declared length is read exactly; otherwise (chunked) one byte past the limit tells it was exceeded.
      byte[] body = in.readNBytes(length >= 0 ? (int) length : limit + 1);
      if (body.length > limit) {
        throw new BadRequestException(413, "the body exceeds " + limit + " bytes (serve.max-body-bytes)");
      }
      return body;
    }
  }

  private String requestId(Headers headers) {
    String given = headers.getFirst("X-Request-Id");
    if (given != null && CLIENT_REQUEST_ID.matcher(given).matches()) {
      return given;
    }
    return requestIdPrefix + Long.toString(requestSequence.incrementAndGet(), 36);
  }

  private static void sendError(HttpExchange exchange, int status, String message, String requestId) {
    try {
      sendJson(exchange, status, ScoringEndpoints.write(json -> {
        json.writeStartObject();
        json.writeStringField("error", message);
        json.writeNumberField("status", status);
        json.writeStringField("request_id", requestId);
        json.writeEndObject();
      }));
    } catch (IOException | RuntimeException e) {
      // Headers already sent, or the client is gone: the status is recorded in the metrics all the same.
      LOG.debug("[{}] could not send the error: {}", requestId, e.getMessage());
    }
  }

  private static void sendJson(HttpExchange exchange, int status, byte[] body) throws IOException {
    send(exchange, status, "application/json", body);
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * Stops gracefully: new connections are refused (and {@code /ready} on a kept-alive one answers
   * 503), while requests under way get {@code serve.shutdown-grace} to finish.
   */
  @Override
  public void close() {
    draining = true;
    http.stop((int) Math.max(0, settings.shutdownGrace().toSeconds()));
    workers.shutdown();
    try {
      workers.awaitTermination(settings.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sweeper.shutdownNow();
    models.close();
  }
}
