package io.fraudlake.registry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mlflow.api.proto.MlflowArtifacts;
import org.mlflow.api.proto.ModelRegistry;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.ModelVersionStatus;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;
import org.mlflow.api.proto.ModelRegistry.RegisteredModelAlias;
import org.mlflow.api.proto.Service;
import org.mlflow_project.databricks.Databricks;
import org.mlflow_project.google.gson.JsonArray;
import org.mlflow_project.google.gson.JsonObject;
import org.mlflow_project.google.gson.JsonPrimitive;
import org.mlflow_project.google.protobuf.Descriptors.FieldDescriptor;
import org.mlflow_project.google.protobuf.Descriptors.FileDescriptor;
import org.mlflow_project.google.protobuf.Descriptors.MethodDescriptor;
import org.mlflow_project.google.protobuf.Descriptors.ServiceDescriptor;
import org.mlflow_project.google.protobuf.DynamicMessage;
import org.mlflow_project.google.protobuf.InvalidProtocolBufferException;
import org.mlflow_project.google.protobuf.Message;
import org.mlflow_project.google.protobuf.util.JsonFormat;

/**
 * An MLflow tracking server with model registry and artifact proxy, in memory, on 127.0.0.1 and a
 * free port, for tests. It is strict where a real server is: its routes (path and HTTP method) come
 * from the {@code rpc} options of MLflow's own service definitions in the mlflow-client jar, request
 * bodies (JSON for POST/PATCH/DELETE, query parameters for GET) are parsed into MLflow's protobuf
 * request messages by a JsonFormat parser that rejects unknown fields, answers are MLflow's response
 * messages, errors are MLflow's {@code {"error_code", "message"}} JSON, and a bearer token is
 * required when one is configured. Unknown paths get 404 ENDPOINT_NOT_FOUND, known paths with the
 * wrong method 405, documented endpoints it does not implement 501.
 */
public final class InProcessMlflowServer implements AutoCloseable {
  private static final String API = "/api/2.0";
  private static final JsonFormat.Parser STRICT = JsonFormat.parser();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames();

  private record Route(String httpMethod, Pattern path, MethodDescriptor rpc) {}

  /** An MLflow error answer. */
  private static final class MlflowError extends RuntimeException {
    final int status;
    final String code;

    MlflowError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  private static final class RunState {
    Service.RunInfo.Builder info;
    final Map<String, String> params = new TreeMap<>();
    final Map<String, List<Service.Metric>> metrics = new TreeMap<>();
    final Map<String, String> tags = new TreeMap<>();
  }

  private static final class ModelState {
    final String name;
    final long created;
    long updated;
    final Map<String, Long> aliases = new TreeMap<>();
    final Map<String, String> tags = new TreeMap<>();
    final Map<Long, ModelVersion.Builder> versions = new TreeMap<>();

    ModelState(String name, long now) {
      this.name = name;
      this.created = now;
      this.updated = now;
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final String token;
  private final List<Route> routes = new ArrayList<>();
  private final Map<String, Function<Message, Message>> handlers = new HashMap<>();
  private final List<String> requestLog = Collections.synchronizedList(new ArrayList<>());
  private final List<String> authorizationHeaders = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger failuresToInject = new AtomicInteger();
  /** Artifact downloads still served before the rest fail with {@link #downloadFailure}; negative = never fail. */
  private final AtomicInteger downloadsBeforeFailure = new AtomicInteger(-1);
  private volatile int downloadFailure;
  /** An extra entry every artifact listing shows, as a hostile or broken server might; null = none. */
  private volatile MlflowArtifacts.FileInfo extraListing;
  private volatile int injectedStatus = 503;

  private final Map<String, Service.Experiment.Builder> experiments = new LinkedHashMap<>();
  private final Map<String, RunState> runs = new HashMap<>();
  private final Map<String, ModelState> models = new TreeMap<>();
  private final Map<String, byte[]> artifacts = new TreeMap<>();
  private int nextExperimentId = 1;

  private InProcessMlflowServer(String token) throws IOException {
    this.token = token;
    for (FileDescriptor file : new FileDescriptor[] {
        Service.getDescriptor(), ModelRegistry.getDescriptor(), MlflowArtifacts.getDescriptor()}) {
      for (ServiceDescriptor service : file.getServices()) {
        for (MethodDescriptor rpc : service.getMethods()) {
          for (Databricks.HttpEndpoint endpoint : rpc.getOptions().getExtension(Databricks.rpc).getEndpointsList()) {
            routes.add(new Route(endpoint.getMethod(), toPattern(endpoint.getPath()), rpc));
          }
        }
      }
    }
    registerHandlers();
    experiments.put("0", experiment("0", "Default"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "in-process-mlflow");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server that requires {@code Authorization: Bearer <token>}, or no auth when null. */
  public static InProcessMlflowServer start(String token) {
    try {
      return new InProcessMlflowServer(token);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the in-process MLflow server", e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** "METHOD /path" of every request received, in order. */
  public List<String> requests() {
    synchronized (requestLog) {
      return List.copyOf(requestLog);
    }
  }

  /** Every Authorization header received (tests check which credentials were sent). */
  public List<String> authorizationHeaders() {
    synchronized (authorizationHeaders) {
      return List.copyOf(authorizationHeaders);
    }
  }

  /** The next {@code count} requests fail with {@code status} (429 or 5xx to exercise retries). */
  public void failNext(int count, int status) {
    injectedStatus = status;
    failuresToInject.set(count);
  }

  /**
   * After {@code succeeding} more artifact downloads, every download fails: with HTTP {@code status},
   * or, when {@code status} is 0, by closing the connection half way through the file.
   */
  public void failDownloadsAfter(int succeeding, int status) {
    downloadFailure = status;
    downloadsBeforeFailure.set(succeeding);
  }

  /** Downloads and listings are served normally again. */
  public void heal() {
    downloadsBeforeFailure.set(-1);
    extraListing = null;
  }

  /** Every artifact listing also shows {@code path} (e.g. {@code ../../etc}), as a file or a folder. */
  public void listAlso(String path, boolean isDir) {
    extraListing = MlflowArtifacts.FileInfo.newBuilder().setPath(path).setIsDir(isDir).setFileSize(1).build();
  }

  /** Replaces the bytes of a stored artifact (a model changed behind the registry's back). */
  public synchronized void overwriteArtifact(String path, byte[] content) {
    if (!artifacts.containsKey(path)) {
      throw new IllegalArgumentException("no artifact " + path + " among " + artifacts.keySet());
    }
    artifacts.put(path, content);
  }

  /** Artifact paths held by the proxy (relative to the artifact root, e.g. {@code 1/<run>/artifacts/x}). */
  public synchronized List<String> artifactPaths() {
    return List.copyOf(artifacts.keySet());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---- HTTP plumbing ---------------------------------------------------------------------------

  private static Pattern toPattern(String documentedPath) {
    String path = documentedPath.startsWith("/") ? documentedPath : "/" + documentedPath;
    StringBuilder regex = new StringBuilder(Pattern.quote(API));
    Matcher m = Pattern.compile("\\{[^}]+}|<path:[^>]+>").matcher(path);
    int last = 0;
    while (m.find()) {
      regex.append(Pattern.quote(path.substring(last, m.start())));
      regex.append(m.group().startsWith("<path:") ? "(.+)" : "([^/]+)");
      last = m.end();
    }
    regex.append(Pattern.quote(path.substring(last)));
    return Pattern.compile(regex.toString());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String rawPath = exchange.getRequestURI().getRawPath();
      String path = URLDecoder.decode(rawPath, StandardCharsets.UTF_8);
      requestLog.add(method + " " + path);
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      authorizationHeaders.add(auth == null ? "" : auth);
      try {
        if (token != null && !("Bearer " + token).equals(auth)) {
          throw new MlflowError(401, "UNAUTHENTICATED", "You are not authenticated. Please provide a valid token.");
        }
        if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          throw new MlflowError(injectedStatus, "TEMPORARILY_UNAVAILABLE", "injected failure");
        }
        Route route = null;
        Matcher match = null;
        boolean pathKnown = false;
        for (Route r : routes) {
          Matcher m = r.path().matcher(path);
          if (m.matches()) {
            pathKnown = true;
            if (r.httpMethod().equals(method)) {
              route = r;
              match = m;
              break;
            }
          }
        }
        if (route == null) {
          if (pathKnown) {
            exchange.getResponseHeaders().set("Allow", allowedMethods(path));
            throw new MlflowError(405, "BAD_REQUEST", "The method " + method + " is not allowed for " + path);
          }
          throw new MlflowError(404, "ENDPOINT_NOT_FOUND", "No API endpoint " + method + " " + path);
        }
        dispatch(exchange, route, match);
      } catch (MlflowError e) {
        JsonObject error = new JsonObject();
        error.addProperty("error_code", e.code);
        error.addProperty("message", e.getMessage());
        send(exchange, e.status, "application/json", error.toString().getBytes(StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        JsonObject error = new JsonObject();
        error.addProperty("error_code", "INTERNAL_ERROR");
        error.addProperty("message", String.valueOf(e));
        send(exchange, 500, "application/json", error.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private String allowedMethods(String path) {
    List<String> allowed = new ArrayList<>();
    for (Route r : routes) {
      if (r.path().matcher(path).matches() && !allowed.contains(r.httpMethod())) {
        allowed.add(r.httpMethod());
      }
    }
    return String.join(", ", allowed);
  }

  private void dispatch(HttpExchange exchange, Route route, Matcher match) throws IOException {
    String name = route.rpc().getName();
    switch (name) {
      case "uploadArtifact" -> {
        String path = artifactPath(match.group(1));
        byte[] content = exchange.getRequestBody().readAllBytes();
        synchronized (this) {
          artifacts.put(path, content);
        }
        send(exchange, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      case "downloadArtifact" -> {
        String path = artifactPath(match.group(1));
        byte[] content;
        synchronized (this) {
          content = artifacts.get(path);
        }
        if (content == null) {
          throw new MlflowError(404, "RESOURCE_DOES_NOT_EXIST", "Artifact '" + path + "' does not exist");
        }
        if (downloadsBeforeFailure.getAndUpdate(n -> n > 0 ? n - 1 : n) == 0) {
          if (downloadFailure != 0) {
            throw new MlflowError(downloadFailure, "TEMPORARILY_UNAVAILABLE", "injected failure during a download");
          }
          // The full length is announced, half the bytes are sent, and the connection closes.
          exchange.sendResponseHeaders(200, content.length);
          exchange.getResponseBody().write(content, 0, content.length / 2);
          exchange.getResponseBody().flush();
          return;
        }
        send(exchange, 200, "application/octet-stream", content);
        return;
      }
      default -> { }
    }
    Message request = parseRequest(exchange, route.rpc());
    Function<Message, Message> handler = handlers.get(name);
    if (handler == null) {
      throw new MlflowError(501, "NOT_IMPLEMENTED", "InProcessMlflowServer does not implement " + name);
    }
    Message response;
    synchronized (this) {
      response = handler.apply(request);
    }
    send(exchange, 200, "application/json", PRINTER.print(response).getBytes(StandardCharsets.UTF_8));
  }

  private static Message parseRequest(HttpExchange exchange, MethodDescriptor rpc) throws IOException {
    Message.Builder builder = DynamicMessage.newBuilder(rpc.getInputType());
    String json;
    if (exchange.getRequestMethod().equals("GET")) {
      json = queryToJson(exchange.getRequestURI().getRawQuery(), rpc).toString();
    } else {
      try (InputStream in = exchange.getRequestBody()) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (json.isBlank()) {
        json = "{}";
      }
    }
    try {
      STRICT.merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new MlflowError(400, "MALFORMED_REQUEST", "Malformed " + rpc.getInputType().getName() + ": " + e.getMessage());
    }
    // Re-parse into the generated class so handlers get typed messages.
    try {
      Message typed = defaultInstance(rpc).getParserForType().parseFrom(builder.build().toByteString());
      return typed;
    } catch (InvalidProtocolBufferException e) {
      throw new MlflowError(400, "MALFORMED_REQUEST", e.getMessage());
    }
  }

  private static final Map<String, Message> DEFAULT_INSTANCES = new java.util.concurrent.ConcurrentHashMap<>();

  private static Message defaultInstance(MethodDescriptor rpc) {
    return DEFAULT_INSTANCES.computeIfAbsent(rpc.getInputType().getFullName(), InProcessMlflowServer::findDefaultInstance);
  }

  private static Message findDefaultInstance(String full) {
    for (Class<?> outer : new Class<?>[] {Service.class, ModelRegistry.class, MlflowArtifacts.class}) {
      for (Class<?> inner : outer.getDeclaredClasses()) {
        if (Message.class.isAssignableFrom(inner)) {
          try {
            Message instance = (Message) inner.getMethod("getDefaultInstance").invoke(null);
            if (instance.getDescriptorForType().getFullName().equals(full)) {
              return instance;
            }
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    throw new IllegalStateException("no generated class for " + full);
  }

  /** GET parameters as the JSON object MLflow's server builds from them; unknown names are rejected. */
  private static JsonObject queryToJson(String rawQuery, MethodDescriptor rpc) {
    JsonObject json = new JsonObject();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return json;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      FieldDescriptor field = rpc.getInputType().findFieldByName(key);
      if (field == null) {
        throw new MlflowError(400, "INVALID_PARAMETER_VALUE",
            "Unknown parameter '" + key + "' for " + rpc.getInputType().getName());
      }
      if (field.isRepeated()) {
        if (!json.has(key)) {
          json.add(key, new JsonArray());
        }
        json.getAsJsonArray(key).add(new JsonPrimitive(value));
      } else {
        if (json.has(key)) {
          throw new MlflowError(400, "INVALID_PARAMETER_VALUE", "Parameter '" + key + "' given twice");
        }
        json.add(key, new JsonPrimitive(value));
      }
    }
    return json;
  }

  private static String artifactPath(String raw) {
    String path = raw.startsWith("/") ? raw.substring(1) : raw;
    if (path.isEmpty() || ("/" + path + "/").contains("/../") || path.contains("\\")) {
      throw new MlflowError(400, "INVALID_PARAMETER_VALUE", "Invalid artifact path: '" + raw + "'");
    }
    return path;
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  // ---- behaviour -------------------------------------------------------------------------------

  private <Q extends Message> void on(String rpcName, Class<Q> type, Function<Q, Message> handler) {
    handlers.put(rpcName, message -> handler.apply(type.cast(message)));
  }

  private void registerHandlers() {
    on("getExperimentByName", Service.GetExperimentByName.class, r -> {
      for (Service.Experiment.Builder e : experiments.values()) {
        if (e.getName().equals(r.getExperimentName())) {
          return Service.GetExperimentByName.Response.newBuilder().setExperiment(e).build();
        }
      }
      throw notFound("Could not find experiment with name '" + r.getExperimentName() + "'");
    });
    on("getExperiment", Service.GetExperiment.class, r ->
        Service.GetExperiment.Response.newBuilder().setExperiment(experiment(r.getExperimentId())).build());
    on("createExperiment", Service.CreateExperiment.class, r -> {
      require(!r.getName().isEmpty(), "Missing value for required parameter 'name'.");
      for (Service.Experiment.Builder e : experiments.values()) {
        if (e.getName().equals(r.getName())) {
          throw new MlflowError(400, "RESOURCE_ALREADY_EXISTS", "Experiment '" + r.getName() + "' already exists.");
        }
      }
      String id = Integer.toString(nextExperimentId++);
      experiments.put(id, experiment(id, r.getName()));
      return Service.CreateExperiment.Response.newBuilder().setExperimentId(id).build();
    });
    on("createRun", Service.CreateRun.class, r -> {
      experiment(r.getExperimentId());
      String runId = UUID.randomUUID().toString().replace("-", "");
      RunState run = new RunState();
      r.getTagsList().forEach(t -> run.tags.put(t.getKey(), t.getValue()));
      String runName = !r.getRunName().isEmpty() ? r.getRunName() : run.tags.getOrDefault("mlflow.runName", "run");
      run.tags.put("mlflow.runName", runName);
      run.info = Service.RunInfo.newBuilder()
          .setRunId(runId).setRunUuid(runId).setRunName(runName)
          .setExperimentId(r.getExperimentId())
          .setUserId(r.getUserId())
          .setStatus(Service.RunStatus.RUNNING)
          .setStartTime(r.getStartTime())
          .setArtifactUri("mlflow-artifacts:/" + r.getExperimentId() + "/" + runId + "/artifacts")
          .setLifecycleStage("active");
      runs.put(runId, run);
      return Service.CreateRun.Response.newBuilder().setRun(toRun(run)).build();
    });
    on("getRun", Service.GetRun.class, r ->
        Service.GetRun.Response.newBuilder().setRun(toRun(run(r.getRunId(), r.getRunUuid()))).build());
    on("updateRun", Service.UpdateRun.class, r -> {
      RunState run = run(r.getRunId(), r.getRunUuid());
      if (r.hasStatus()) {
        run.info.setStatus(r.getStatus());
      }
      if (r.hasEndTime()) {
        run.info.setEndTime(r.getEndTime());
      }
      if (r.hasRunName()) {
        run.info.setRunName(r.getRunName());
      }
      return Service.UpdateRun.Response.newBuilder().setRunInfo(run.info).build();
    });
    on("logMetric", Service.LogMetric.class, r -> {
      RunState run = run(r.getRunId(), r.getRunUuid());
      require(r.hasKey() && r.hasValue() && r.hasTimestamp(), "Missing value for required parameter 'key', 'value' or 'timestamp'.");
      addMetric(run, Service.Metric.newBuilder().setKey(r.getKey()).setValue(r.getValue())
          .setTimestamp(r.getTimestamp()).setStep(r.getStep()).build());
      return Service.LogMetric.Response.getDefaultInstance();
    });
    on("logParam", Service.LogParam.class, r -> {
      addParam(run(r.getRunId(), r.getRunUuid()), r.getKey(), r.getValue());
      return Service.LogParam.Response.getDefaultInstance();
    });
    on("setTag", Service.SetTag.class, r -> {
      run(r.getRunId(), r.getRunUuid()).tags.put(r.getKey(), r.getValue());
      return Service.SetTag.Response.getDefaultInstance();
    });
    on("logBatch", Service.LogBatch.class, r -> {
      RunState run = run(r.getRunId(), null);
      if (r.getParamsCount() > 100 || r.getMetricsCount() > 1000
          || r.getParamsCount() + r.getMetricsCount() + r.getTagsCount() > 1000) {
        throw invalid("A batch logging request can contain at most 1000 metrics, 100 params and 1000 entries in all.");
      }
      r.getParamsList().forEach(p -> addParam(run, p.getKey(), p.getValue()));
      r.getMetricsList().forEach(m -> addMetric(run, m));
      r.getTagsList().forEach(t -> run.tags.put(t.getKey(), t.getValue()));
      return Service.LogBatch.Response.getDefaultInstance();
    });

    on("createRegisteredModel", ModelRegistry.CreateRegisteredModel.class, r -> {
      require(!r.getName().isEmpty(), "Missing value for required parameter 'name'.");
      if (models.containsKey(r.getName())) {
        throw new MlflowError(400, "RESOURCE_ALREADY_EXISTS", "Registered Model (name=" + r.getName() + ") already exists.");
      }
      ModelState model = new ModelState(r.getName(), System.currentTimeMillis());
      models.put(r.getName(), model);
      return ModelRegistry.CreateRegisteredModel.Response.newBuilder().setRegisteredModel(toModel(model)).build();
    });
    on("getRegisteredModel", ModelRegistry.GetRegisteredModel.class, r ->
        ModelRegistry.GetRegisteredModel.Response.newBuilder().setRegisteredModel(toModel(model(r.getName()))).build());
    on("searchRegisteredModels", ModelRegistry.SearchRegisteredModels.class, r -> {
      if (r.getMaxResults() > 1000) {
        throw invalid("Invalid value for request parameter max_results. It must be at most 1000, but got value "
            + r.getMaxResults());
      }
      require(!r.hasFilter() || r.getFilter().isEmpty(), "InProcessMlflowServer supports no registered model filter");
      List<RegisteredModel> all = new ArrayList<>();
      models.values().forEach(m -> all.add(toModel(m)));
      int from = r.getPageToken().isEmpty() ? 0 : decodeToken(r.getPageToken());
      int max = r.hasMaxResults() ? (int) r.getMaxResults() : 100;
      ModelRegistry.SearchRegisteredModels.Response.Builder out = ModelRegistry.SearchRegisteredModels.Response.newBuilder()
          .addAllRegisteredModels(all.subList(Math.min(from, all.size()), Math.min(from + max, all.size())));
      if (from + max < all.size()) {
        out.setNextPageToken(encodeToken(from + max));
      }
      return out.build();
    });
    on("createModelVersion", ModelRegistry.CreateModelVersion.class, r -> {
      ModelState model = model(r.getName());
      require(!r.getSource().isEmpty(), "Missing value for required parameter 'source'.");
      if (r.getSource().startsWith("/") || r.getSource().startsWith("file:")) {
        throw invalid("Invalid model version source: '" + r.getSource() + "'. To use a local path as a model version "
            + "source, the run_id request parameter has to be specified and the local path has to be contained within "
            + "the artifact directory of the run specified by the run_id.");
      }
      if (!r.getRunId().isEmpty()) {
        run(r.getRunId(), null);
      }
      long version = model.versions.keySet().stream().mapToLong(Long::longValue).max().orElse(0) + 1;
      long now = System.currentTimeMillis();
      ModelVersion.Builder v = ModelVersion.newBuilder()
          .setName(model.name).setVersion(Long.toString(version))
          .setCreationTimestamp(now).setLastUpdatedTimestamp(now)
          .setCurrentStage("None").setSource(r.getSource()).setRunId(r.getRunId())
          .setStatus(ModelVersionStatus.READY);
      model.versions.put(version, v);
      model.updated = now;
      return ModelRegistry.CreateModelVersion.Response.newBuilder().setModelVersion(toVersion(model, v)).build();
    });
    on("getModelVersion", ModelRegistry.GetModelVersion.class, r -> {
      ModelState model = models.get(r.getName());
      ModelVersion.Builder v = model == null ? null : model.versions.get(parseVersion(r.getVersion()));
      if (v == null) {
        throw notFound("Model Version (name=" + r.getName() + ", version=" + r.getVersion() + ") not found");
      }
      return ModelRegistry.GetModelVersion.Response.newBuilder().setModelVersion(toVersion(model, v)).build();
    });
    on("getModelVersionDownloadUri", ModelRegistry.GetModelVersionDownloadUri.class, r -> {
      ModelState model = model(r.getName());
      ModelVersion.Builder v = model.versions.get(parseVersion(r.getVersion()));
      if (v == null) {
        throw notFound("Model Version (name=" + r.getName() + ", version=" + r.getVersion() + ") not found");
      }
      return ModelRegistry.GetModelVersionDownloadUri.Response.newBuilder().setArtifactUri(v.getSource()).build();
    });
    on("searchModelVersions", ModelRegistry.SearchModelVersions.class, r -> {
      if (r.getMaxResults() > 200_000) {
        throw invalid("Invalid value for request parameter max_results. It must be at most 200000");
      }
      Matcher f = Pattern.compile("\\s*(name|run_id)\\s*=\\s*(['\"])(.*)\\2\\s*").matcher(r.getFilter());
      require(r.getFilter().isEmpty() || f.matches(), "Invalid filter '" + r.getFilter() + "'");
      List<ModelVersion> all = new ArrayList<>();
      for (ModelState model : models.values()) {
        for (ModelVersion.Builder v : model.versions.values()) {
          boolean keep = r.getFilter().isEmpty()
              || (f.group(1).equals("name") ? v.getName() : v.getRunId()).equals(f.group(3));
          if (keep) {
            all.add(toVersion(model, v));
          }
        }
      }
      all.sort(Comparator.comparingLong((ModelVersion v) -> Long.parseLong(v.getVersion())).reversed());
      int from = r.getPageToken().isEmpty() ? 0 : decodeToken(r.getPageToken());
      int max = (int) (r.hasMaxResults() ? r.getMaxResults() : 10_000);
      ModelRegistry.SearchModelVersions.Response.Builder out = ModelRegistry.SearchModelVersions.Response.newBuilder()
          .addAllModelVersions(all.subList(Math.min(from, all.size()), Math.min(from + max, all.size())));
      if (from + max < all.size()) {
        out.setNextPageToken(encodeToken(from + max));
      }
      return out.build();
    });
    on("setRegisteredModelAlias", ModelRegistry.SetRegisteredModelAlias.class, r -> {
      ModelState model = model(r.getName());
      long version = parseVersion(r.getVersion());
      if (!model.versions.containsKey(version)) {
        throw notFound("Model Version (name=" + r.getName() + ", version=" + r.getVersion() + ") not found");
      }
      require(r.getAlias().matches("[\\w\\-]+") && !r.getAlias().equalsIgnoreCase("latest"),
          "Invalid alias name: '" + r.getAlias() + "'");
      model.aliases.put(r.getAlias(), version);
      return ModelRegistry.SetRegisteredModelAlias.Response.getDefaultInstance();
    });
    on("deleteRegisteredModelAlias", ModelRegistry.DeleteRegisteredModelAlias.class, r -> {
      model(r.getName()).aliases.remove(r.getAlias());
      return ModelRegistry.DeleteRegisteredModelAlias.Response.getDefaultInstance();
    });
    on("setRegisteredModelTag", ModelRegistry.SetRegisteredModelTag.class, r -> {
      require(!r.getKey().isEmpty(), "Missing value for required parameter 'key'.");
      model(r.getName()).tags.put(r.getKey(), r.getValue());
      return ModelRegistry.SetRegisteredModelTag.Response.getDefaultInstance();
    });
    on("deleteRegisteredModelTag", ModelRegistry.DeleteRegisteredModelTag.class, r -> {
      model(r.getName()).tags.remove(r.getKey());
      return ModelRegistry.DeleteRegisteredModelTag.Response.getDefaultInstance();
    });
    on("getModelVersionByAlias", ModelRegistry.GetModelVersionByAlias.class, r -> {
      ModelState model = models.get(r.getName());
      Long version = model == null ? null : model.aliases.get(r.getAlias());
      if (version == null) {
        // What MLflow's SQL store answers, for a missing model as for a missing alias.
        throw invalid("Registered model alias " + r.getAlias() + " not found.");
      }
      return ModelRegistry.GetModelVersionByAlias.Response.newBuilder()
          .setModelVersion(toVersion(model, model.versions.get(version))).build();
    });

    on("listArtifacts", MlflowArtifacts.ListArtifacts.class, r -> {
      String dir = r.getPath().replaceAll("^/+|/+$", "");
      String prefix = dir.isEmpty() ? "" : dir + "/";
      Map<String, MlflowArtifacts.FileInfo> children = new TreeMap<>();
      for (Map.Entry<String, byte[]> e : artifacts.entrySet()) {
        if (!e.getKey().startsWith(prefix)) {
          continue;
        }
        String rest = e.getKey().substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
          children.put(rest, MlflowArtifacts.FileInfo.newBuilder().setPath(rest).setIsDir(false)
              .setFileSize(e.getValue().length).build());
        } else {
          String sub = rest.substring(0, slash);
          children.putIfAbsent(sub, MlflowArtifacts.FileInfo.newBuilder().setPath(sub).setIsDir(true).build());
        }
      }
      MlflowArtifacts.ListArtifacts.Response.Builder listing = MlflowArtifacts.ListArtifacts.Response.newBuilder()
          .addAllFiles(children.values());
      if (extraListing != null) {
        listing.addFiles(extraListing);
      }
      return listing.build();
    });
  }

  private static Service.Experiment.Builder experiment(String id, String name) {
    long now = System.currentTimeMillis();
    return Service.Experiment.newBuilder().setExperimentId(id).setName(name)
        .setArtifactLocation("mlflow-artifacts:/" + id).setLifecycleStage("active")
        .setCreationTime(now).setLastUpdateTime(now);
  }

  private Service.Experiment experiment(String id) {
    Service.Experiment.Builder e = experiments.get(id);
    if (e == null) {
      throw notFound("No Experiment with id=" + id + " exists");
    }
    return e.build();
  }

  private RunState run(String runId, String runUuid) {
    String id = runId != null && !runId.isEmpty() ? runId : runUuid;
    require(id != null && !id.isEmpty(), "Missing value for required parameter 'run_id'.");
    RunState run = runs.get(id);
    if (run == null) {
      throw notFound("Run '" + id + "' not found");
    }
    return run;
  }

  private static void addParam(RunState run, String key, String value) {
    String current = run.params.get(key);
    if (current != null && !current.equals(value)) {
      throw invalid("Changing param values is not allowed. Param with key='" + key + "' was already logged with value='"
          + current + "' for run ID='" + run.info.getRunId() + "'. Attempted logging new value '" + value + "'.");
    }
    run.params.put(key, value);
  }

  private static void addMetric(RunState run, Service.Metric metric) {
    run.metrics.computeIfAbsent(metric.getKey(), k -> new ArrayList<>()).add(metric);
  }

  private static Service.Run toRun(RunState run) {
    Service.RunData.Builder data = Service.RunData.newBuilder();
    run.params.forEach((k, v) -> data.addParams(Service.Param.newBuilder().setKey(k).setValue(v)));
    run.tags.forEach((k, v) -> data.addTags(Service.RunTag.newBuilder().setKey(k).setValue(v)));
    run.metrics.forEach((k, history) -> data.addMetrics(history.stream()
        .max(Comparator.comparingLong(Service.Metric::getStep).thenComparingLong(Service.Metric::getTimestamp)
            .thenComparingDouble(Service.Metric::getValue))
        .orElseThrow()));
    return Service.Run.newBuilder().setInfo(run.info).setData(data).build();
  }

  private ModelState model(String name) {
    ModelState model = models.get(name);
    if (model == null) {
      throw notFound("Registered Model with name=" + name + " not found");
    }
    return model;
  }

  private static RegisteredModel toModel(ModelState model) {
    RegisteredModel.Builder out = RegisteredModel.newBuilder().setName(model.name)
        .setCreationTimestamp(model.created).setLastUpdatedTimestamp(model.updated);
    model.aliases.forEach((alias, v) -> out.addAliases(RegisteredModelAlias.newBuilder().setAlias(alias).setVersion(Long.toString(v))));
    model.tags.forEach((k, v) -> out.addTags(ModelRegistry.RegisteredModelTag.newBuilder().setKey(k).setValue(v)));
    return out.build();
  }

  private static ModelVersion toVersion(ModelState model, ModelVersion.Builder v) {
    ModelVersion.Builder out = v.clone().clearAliases();
    model.aliases.forEach((alias, version) -> {
      if (Long.toString(version).equals(v.getVersion())) {
        out.addAliases(alias);
      }
    });
    return out.build();
  }

  private static long parseVersion(String version) {
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw invalid("Parameter 'version' must be an integer, got '" + version + "'.");
    }
  }

  private static String encodeToken(int offset) {
    return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
  }

  private static int decodeToken(String token) {
    try {
      String json = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
      return Integer.parseInt(json.replaceAll("[^0-9]", ""));
    } catch (IllegalArgumentException e) {
      throw invalid("Invalid page token");
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw invalid(message);
    }
  }

  private static MlflowError invalid(String message) {
    return new MlflowError(400, "INVALID_PARAMETER_VALUE", message);
  }

  private static MlflowError notFound(String message) {
    return new MlflowError(404, "RESOURCE_DOES_NOT_EXIST", message);
  }
}
