package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mlflow.api.proto.ModelRegistry.CreateModelVersion;
import org.mlflow.api.proto.ModelRegistry.CreateRegisteredModel;
import org.mlflow.api.proto.ModelRegistry.DeleteRegisteredModelAlias;
import org.mlflow.api.proto.ModelRegistry.DeleteRegisteredModelTag;
import org.mlflow.api.proto.ModelRegistry.GetModelVersion;
import org.mlflow.api.proto.ModelRegistry.GetModelVersionByAlias;
import org.mlflow.api.proto.ModelRegistry.GetRegisteredModel;
import org.mlflow.api.proto.ModelRegistry.ModelVersion;
import org.mlflow.api.proto.ModelRegistry.ModelVersionStatus;
import org.mlflow.api.proto.ModelRegistry.RegisteredModel;
import org.mlflow.api.proto.ModelRegistry.RegisteredModelAlias;
import org.mlflow.api.proto.ModelRegistry.RegisteredModelTag;
import org.mlflow.api.proto.ModelRegistry.SearchModelVersions;
import org.mlflow.api.proto.ModelRegistry.SearchRegisteredModels;
import org.mlflow.api.proto.ModelRegistry.SetRegisteredModelAlias;
import org.mlflow.api.proto.ModelRegistry.SetRegisteredModelTag;
import org.mlflow.api.proto.Service;

/**
 * A registry on an MLflow tracking server or a Databricks workspace, over MLflow's REST API 2.0
 * with MLflow's own protobuf messages (from the mlflow-client jar) as bodies.
 *
 * <p>Why not {@code org.mlflow.tracking.MlflowClient} for the tracking calls: in 2.17.2 its HTTP 429
 * retry loop re-sends without releasing the pooled connection of the rate-limited answer, so two
 * 429s in a row exhaust its two connections per host and the next call blocks forever (seen with
 * the in-process server's injected 429s). It also lacks aliases and model-version creation, and it
 * uploads artifacts by running the Python {@code mlflow} command. Here every call shares one retry
 * policy (429 and 5xx, bounded back-off) and one error wording. Artifacts go through the server's
 * artifact proxy ({@code mlflow-artifacts:}) or Hadoop's FileSystem ({@code dbfs:}, {@code s3a:},
 * {@code abfss:}, {@code gs:}, {@code file:}).
 */
public final class MlflowModelRegistry implements ModelRegistry {
  // MLflow's documented batch limits for log-batch.
  private static final int MAX_PARAMS_PER_BATCH = 100;
  private static final int MAX_ENTRIES_PER_BATCH = 1000;
  static final String ALIAS_TAG_PREFIX = "fraudlake.alias.";
  private static final long VERSION_READY_TIMEOUT_MS = 10 * 60 * 1000;

  private final MlflowConnection connection;
  private final MlflowRestClient rest;

  public MlflowModelRegistry(MlflowConnection connection) {
    this.connection = connection;
    this.rest = new MlflowRestClient(connection);
  }

  public MlflowConnection connection() {
    return connection;
  }

  @Override
  public String describe() {
    return connection.describe();
  }

  @Override
  public String toString() {
    return "MlflowModelRegistry[" + connection + "]";
  }

  // ---- tracking --------------------------------------------------------------------------------

  @Override
  public String getOrCreateExperiment(String name) {
    Names.experimentName(name);
    Optional<Service.Experiment> existing = experimentByName(name);
    if (existing.isPresent()) {
      return activeExperimentId(existing.get());
    }
    try {
      Service.CreateExperiment.Response created = rest.call("POST", "mlflow/experiments/create",
          Service.CreateExperiment.newBuilder().setName(name).build(), Service.CreateExperiment.Response.newBuilder());
      return created.getExperimentId();
    } catch (MlflowRestClient.ApiException e) {
      if (!e.is("RESOURCE_ALREADY_EXISTS")) {
        throw e;
      }
      // Another job created it between our lookup and our create.
      return activeExperimentId(experimentByName(name).orElseThrow(() -> e));
    }
  }

  private Optional<Service.Experiment> experimentByName(String name) {
    try {
      Service.GetExperimentByName.Response found = rest.call("GET", "mlflow/experiments/get-by-name",
          Service.GetExperimentByName.newBuilder().setExperimentName(name).build(),
          Service.GetExperimentByName.Response.newBuilder());
      return Optional.of(found.getExperiment());
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static String activeExperimentId(Service.Experiment experiment) {
    if (!"active".equalsIgnoreCase(experiment.getLifecycleStage())) {
      throw new FraudLakeException("experiment '" + experiment.getName()
          + "' is deleted on the MLflow server; restore it or choose another experiment name");
    }
    return experiment.getExperimentId();
  }

  @Override
  public String startRun(String experimentId, String runName, Map<String, String> tags) {
    Map<String, String> allTags = RunTags.forNewRun(runName, tags);
    Service.CreateRun.Builder request = Service.CreateRun.newBuilder()
        .setExperimentId(experimentId)
        .setStartTime(System.currentTimeMillis())
        .setRunName(allTags.get(RunTags.RUN_NAME))
        .setUserId(RunTags.user());
    allTags.forEach((k, v) -> request.addTags(Service.RunTag.newBuilder().setKey(k).setValue(v)));
    Service.CreateRun.Response created = rest.call("POST", "mlflow/runs/create", request.build(),
        Service.CreateRun.Response.newBuilder());
    return created.getRun().getInfo().getRunId();
  }

  @Override
  public void logParams(String runId, Map<String, String> params) {
    logBatch(runId, params, List.of(), Map.of());
  }

  @Override
  public void logMetric(String runId, String key, double value, long step) {
    Names.key("metric", key);
    rest.call("POST", "mlflow/runs/log-metric", Service.LogMetric.newBuilder()
        .setRunId(Names.runId(runId)).setKey(key).setValue(value)
        .setTimestamp(System.currentTimeMillis()).setStep(step).build(), Service.LogMetric.Response.newBuilder());
  }

  @Override
  public void logMetrics(String runId, Map<String, Double> metrics, long step) {
    long now = System.currentTimeMillis();
    List<Metric> list = new ArrayList<>();
    metrics.forEach((k, v) -> list.add(new Metric(k, v, now, step)));
    logBatch(runId, Map.of(), list, Map.of());
  }

  @Override
  public void setTags(String runId, Map<String, String> tags) {
    logBatch(runId, Map.of(), List.of(), tags);
  }

  @Override
  public void logBatch(String runId, Map<String, String> params, List<Metric> metrics, Map<String, String> tags) {
    Names.runId(runId);
    List<Service.Param> ps = new ArrayList<>();
    params.forEach((k, v) -> ps.add(Service.Param.newBuilder().setKey(Names.key("param", k)).setValue(v == null ? "" : v).build()));
    List<Service.Metric> ms = new ArrayList<>();
    for (Metric m : metrics) {
      ms.add(Service.Metric.newBuilder().setKey(Names.key("metric", m.key())).setValue(m.value())
          .setTimestamp(m.timestamp()).setStep(m.step()).build());
    }
    List<Service.RunTag> ts = new ArrayList<>();
    tags.forEach((k, v) -> ts.add(Service.RunTag.newBuilder().setKey(Names.key("tag", k)).setValue(v == null ? "" : v).build()));
    // Split to stay within MLflow's per-request limits (100 params, 1000 entries in all).
    int p = 0;
    int m = 0;
    int t = 0;
    do {
      int room = MAX_ENTRIES_PER_BATCH;
      int pEnd = Math.min(ps.size(), p + MAX_PARAMS_PER_BATCH);
      room -= pEnd - p;
      int mEnd = Math.min(ms.size(), m + room);
      room -= mEnd - m;
      int tEnd = Math.min(ts.size(), t + room);
      List<Service.Param> pChunk = ps.subList(p, pEnd);
      List<Service.Metric> mChunk = ms.subList(m, mEnd);
      List<Service.RunTag> tChunk = ts.subList(t, tEnd);
      if (!pChunk.isEmpty() || !mChunk.isEmpty() || !tChunk.isEmpty()) {
        rest.call("POST", "mlflow/runs/log-batch", Service.LogBatch.newBuilder().setRunId(runId)
            .addAllParams(pChunk).addAllMetrics(mChunk).addAllTags(tChunk).build(), Service.LogBatch.Response.newBuilder());
      }
      p = pEnd;
      m = mEnd;
      t = tEnd;
    } while (p < ps.size() || m < ms.size() || t < ts.size());
  }

  @Override
  public void logArtifact(String runId, Path localFile, String artifactPath) {
    artifacts(runArtifactUri(runId)).logFile(localFile, artifactPath);
  }

  @Override
  public void logArtifacts(String runId, Path localDir, String artifactPath) {
    artifacts(runArtifactUri(runId)).logDirectory(localDir, artifactPath);
  }

  private String runArtifactUri(String runId) {
    return getRunProto(runId).getInfo().getArtifactUri();
  }

  private ArtifactRepository artifacts(String uri) {
    return ArtifactRepository.forUri(uri, rest);
  }

  @Override
  public void endRun(String runId, RunStatus status) {
    if (!status.isTerminal()) {
      throw new FraudLakeException("a run can only end as FINISHED, FAILED or KILLED, not " + status);
    }
    rest.call("POST", "mlflow/runs/update", Service.UpdateRun.newBuilder().setRunId(Names.runId(runId))
        .setStatus(Service.RunStatus.valueOf(status.name())).setEndTime(System.currentTimeMillis()).build(),
        Service.UpdateRun.Response.newBuilder());
  }

  private Service.Run getRunProto(String runId) {
    Names.runId(runId);
    try {
      Service.GetRun.Response found = rest.call("GET", "mlflow/runs/get",
          Service.GetRun.newBuilder().setRunId(runId).build(), Service.GetRun.Response.newBuilder());
      return found.getRun();
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        throw new FraudLakeException("run '" + runId + "' not found on " + describe());
      }
      throw e;
    }
  }

  @Override
  public RunInfo getRun(String runId) {
    Service.Run run = getRunProto(runId);
    Service.RunInfo info = run.getInfo();
    Map<String, String> params = new HashMap<>();
    run.getData().getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
    Map<String, String> tags = new HashMap<>();
    run.getData().getTagsList().forEach(t -> tags.put(t.getKey(), t.getValue()));
    Map<String, Double> metrics = new HashMap<>();
    run.getData().getMetricsList().forEach(m -> metrics.put(m.getKey(), m.getValue()));
    String runName = info.hasRunName() && !info.getRunName().isEmpty() ? info.getRunName() : tags.get(RunTags.RUN_NAME);
    return new RunInfo(
        info.getRunId().isEmpty() ? info.getRunUuid() : info.getRunId(),
        info.getExperimentId(),
        runName,
        RunStatus.valueOf(info.getStatus().name()),
        Instant.ofEpochMilli(info.getStartTime()),
        info.hasEndTime() && info.getEndTime() > 0 ? Optional.of(Instant.ofEpochMilli(info.getEndTime())) : Optional.empty(),
        info.getArtifactUri(),
        params,
        metrics,
        tags);
  }

  @Override
  public Path downloadRunArtifacts(String runId, String artifactPath, Path destination) {
    String rel = ArtifactPaths.normalize(artifactPath);
    return artifacts(runArtifactUri(runId))
        .download(rel, destination, "run '" + runId + "' has no artifact at '" + rel + "'");
  }

  // ---- registry through the REST API -----------------------------------------------------------

  @Override
  public RegisteredModelInfo createRegisteredModel(String name) {
    Names.modelName(name);
    try {
      CreateRegisteredModel.Response created = rest.call("POST", "mlflow/registered-models/create",
          CreateRegisteredModel.newBuilder().setName(name).build(), CreateRegisteredModel.Response.newBuilder());
      return toInfo(created.getRegisteredModel());
    } catch (MlflowRestClient.ApiException e) {
      if (!e.is("RESOURCE_ALREADY_EXISTS")) {
        throw e;
      }
      return toInfo(getRegisteredModel(name));
    }
  }

  private RegisteredModel getRegisteredModel(String name) {
    try {
      GetRegisteredModel.Response response = rest.call("GET", "mlflow/registered-models/get",
          GetRegisteredModel.newBuilder().setName(name).build(), GetRegisteredModel.Response.newBuilder());
      return response.getRegisteredModel();
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        throw new FraudLakeException("registered model '" + name + "' not found on " + describe());
      }
      throw e;
    }
  }

  @Override
  public List<RegisteredModelInfo> listRegisteredModels() {
    List<RegisteredModelInfo> out = new ArrayList<>();
    String token = null;
    do {
      SearchRegisteredModels.Builder request = SearchRegisteredModels.newBuilder().setMaxResults(1000);
      if (token != null) {
        request.setPageToken(token);
      }
      SearchRegisteredModels.Response page = rest.call("GET", "mlflow/registered-models/search", request.build(),
          SearchRegisteredModels.Response.newBuilder());
      page.getRegisteredModelsList().forEach(m -> out.add(toInfo(m)));
      token = page.getNextPageToken().isEmpty() ? null : page.getNextPageToken();
    } while (token != null);
    out.sort(Comparator.comparing(RegisteredModelInfo::name));
    return out;
  }

  @Override
  public ModelVersionInfo createModelVersion(String name, String runId, String artifactPath) {
    Names.modelName(name);
    String rel = ArtifactPaths.normalize(artifactPath);
    String runArtifacts = runArtifactUri(runId);
    if (artifacts(runArtifacts).find(rel) == null) {
      throw new FraudLakeException("run '" + runId + "' has no artifact at '" + rel + "' to register");
    }
    String source = ArtifactPaths.appendToUri(runArtifacts, rel);
    CreateModelVersion.Response created;
    try {
      created = rest.call("POST", "mlflow/model-versions/create",
          CreateModelVersion.newBuilder().setName(name).setSource(source).setRunId(runId).build(),
          CreateModelVersion.Response.newBuilder());
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        throw new FraudLakeException("registered model '" + name + "' not found on " + describe());
      }
      throw e;
    }
    return awaitReady(created.getModelVersion());
  }

  // Databricks copies the files asynchronously: a version is PENDING_REGISTRATION until they are in place.
  private ModelVersionInfo awaitReady(ModelVersion version) {
    long deadline = System.currentTimeMillis() + VERSION_READY_TIMEOUT_MS;
    ModelVersion current = version;
    long wait = 250;
    while (current.getStatus() == ModelVersionStatus.PENDING_REGISTRATION) {
      if (System.currentTimeMillis() > deadline) {
        throw new FraudLakeException("model '" + version.getName() + "' version " + version.getVersion()
            + " is still pending registration after " + VERSION_READY_TIMEOUT_MS / 60000 + " minutes");
      }
      sleep(wait);
      wait = Math.min(wait * 2, 5000);
      current = fetchVersion(version.getName(), Long.parseLong(version.getVersion()));
    }
    if (current.getStatus() == ModelVersionStatus.FAILED_REGISTRATION) {
      throw new FraudLakeException("MLflow failed to register model '" + current.getName() + "' version "
          + current.getVersion() + ": " + YamlFiles.firstLine(current.getStatusMessage()));
    }
    return toInfo(current);
  }

  private ModelVersion fetchVersion(String name, long version) {
    Names.modelName(name);
    Names.version(version);
    try {
      return rest.<GetModelVersion.Response>call("GET", "mlflow/model-versions/get",
          GetModelVersion.newBuilder().setName(name).setVersion(Long.toString(version)).build(),
          GetModelVersion.Response.newBuilder()).getModelVersion();
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        getRegisteredModel(name);
        throw new FraudLakeException("registered model '" + name + "' version " + version + " not found");
      }
      throw e;
    }
  }

  @Override
  public ModelVersionInfo getModelVersion(String name, long version) {
    ModelVersionInfo info = toInfo(fetchVersion(name, version));
    return connection.isDatabricks() ? withWorkspaceAliases(info, workspaceAliases(getRegisteredModel(name))) : info;
  }

  /**
   * Databricks' workspace model registry refuses MLflow aliases (MLflow's own client raises for them
   * there: only models in Unity Catalog have aliases). FraudLake keeps them as registered-model tags
   * {@code fraudlake.alias.<alias> = <version>} there, so {@code models:/name@prod} works the same.
   */
  private static Map<String, Long> workspaceAliases(RegisteredModel model) {
    Map<String, Long> aliases = new HashMap<>();
    for (RegisteredModelTag tag : model.getTagsList()) {
      if (tag.getKey().startsWith(ALIAS_TAG_PREFIX) && tag.getValue().matches("[0-9]+")) {
        aliases.put(tag.getKey().substring(ALIAS_TAG_PREFIX.length()), Long.parseLong(tag.getValue()));
      }
    }
    return aliases;
  }

  private static ModelVersionInfo withWorkspaceAliases(ModelVersionInfo info, Map<String, Long> aliases) {
    List<String> names = new ArrayList<>();
    aliases.forEach((alias, v) -> {
      if (v == info.version()) {
        names.add(alias);
      }
    });
    names.sort(String::compareTo);
    return new ModelVersionInfo(info.name(), info.version(), info.runId(), info.source(), names, info.creationTime(),
        info.status());
  }

  @Override
  public List<ModelVersionInfo> searchModelVersions(String name) {
    Names.modelName(name);
    getRegisteredModel(name);
    List<ModelVersionInfo> out = new ArrayList<>();
    String token = null;
    String filter = name.contains("'") ? "name=\"" + name + "\"" : "name='" + name + "'";
    do {
      SearchModelVersions.Builder request = SearchModelVersions.newBuilder().setFilter(filter).setMaxResults(1000);
      if (token != null) {
        request.setPageToken(token);
      }
      SearchModelVersions.Response page = rest.call("GET", "mlflow/model-versions/search", request.build(),
          SearchModelVersions.Response.newBuilder());
      page.getModelVersionsList().stream().filter(v -> v.getName().equals(name)).forEach(v -> out.add(toInfo(v)));
      token = page.getNextPageToken().isEmpty() ? null : page.getNextPageToken();
    } while (token != null);
    out.sort(Comparator.comparingLong(ModelVersionInfo::version).reversed());
    if (connection.isDatabricks()) {
      Map<String, Long> aliases = workspaceAliases(getRegisteredModel(name));
      return out.stream().map(v -> withWorkspaceAliases(v, aliases)).toList();
    }
    return out;
  }

  @Override
  public void setAlias(String name, String alias, long version) {
    Names.modelName(name);
    Names.alias(alias);
    fetchVersion(name, version);
    if (connection.isDatabricks()) {
      rest.call("POST", "mlflow/registered-models/set-tag", SetRegisteredModelTag.newBuilder().setName(name)
          .setKey(ALIAS_TAG_PREFIX + alias).setValue(Long.toString(version)).build(),
          SetRegisteredModelTag.Response.newBuilder());
      return;
    }
    rest.call("POST", "mlflow/registered-models/alias",
        SetRegisteredModelAlias.newBuilder().setName(name).setAlias(alias).setVersion(Long.toString(version)).build(),
        SetRegisteredModelAlias.Response.newBuilder());
  }

  @Override
  public void deleteAlias(String name, String alias) {
    Names.modelName(name);
    Names.alias(alias);
    if (connection.isDatabricks()) {
      if (workspaceAliases(getRegisteredModel(name)).containsKey(alias)) {
        rest.call("DELETE", "mlflow/registered-models/delete-tag", DeleteRegisteredModelTag.newBuilder().setName(name)
            .setKey(ALIAS_TAG_PREFIX + alias).build(), DeleteRegisteredModelTag.Response.newBuilder());
      }
      return;
    }
    try {
      rest.call("DELETE", "mlflow/registered-models/alias",
          DeleteRegisteredModelAlias.newBuilder().setName(name).setAlias(alias).build(),
          DeleteRegisteredModelAlias.Response.newBuilder());
    } catch (MlflowRestClient.ApiException e) {
      if (e.status == 404 || e.is("RESOURCE_DOES_NOT_EXIST")) {
        getRegisteredModel(name);
        return;
      }
      throw e;
    }
  }

  @Override
  public ModelVersionInfo getModelVersionByAlias(String name, String alias) {
    Names.modelName(name);
    Names.alias(alias);
    if (connection.isDatabricks()) {
      Long version = workspaceAliases(getRegisteredModel(name)).get(alias);
      if (version == null) {
        throw new FraudLakeException("alias '" + alias + "' is not set on model '" + name + "'");
      }
      return getModelVersion(name, version);
    }
    try {
      GetModelVersionByAlias.Response response = rest.call("GET", "mlflow/registered-models/alias",
          GetModelVersionByAlias.newBuilder().setName(name).setAlias(alias).build(),
          GetModelVersionByAlias.Response.newBuilder());
      return toInfo(response.getModelVersion());
    } catch (MlflowRestClient.ApiException e) {
      // MLflow answers a missing alias with INVALID_PARAMETER_VALUE (400), a missing model with 404.
      if (e.status == 400 || e.status == 404) {
        getRegisteredModel(name);
        throw new FraudLakeException("alias '" + alias + "' is not set on model '" + name + "'");
      }
      throw e;
    }
  }

  @Override
  public Path downloadModelVersion(ModelVersionInfo version, Path destination) {
    String source = version.source();
    String rel = "";
    if (source.startsWith("runs:/")) {
      // runs:/<run id>/<path> is how MLflow 2.x clients sometimes register; it lives in the run's artifacts.
      String rest = source.substring("runs:/".length());
      int slash = rest.indexOf('/');
      String runId = slash < 0 ? rest : rest.substring(0, slash);
      rel = slash < 0 ? "" : rest.substring(slash + 1);
      source = runArtifactUri(runId);
    }
    String what = "the files of " + version.uri() + " are missing at " + version.source();
    ArtifactRepository repo = artifacts(source);
    if (rel.isEmpty() && repo.list("").isEmpty()) {
      throw new FraudLakeException(what);
    }
    repo.download(rel, destination, what);
    return destination;
  }

  @Override
  public void close() {
    // java.net.http.HttpClient holds no resources that need releasing on Java 17.
  }

  // ---- conversions -----------------------------------------------------------------------------

  private static RegisteredModelInfo toInfo(RegisteredModel model) {
    Map<String, Long> aliases = new HashMap<>();
    for (RegisteredModelAlias a : model.getAliasesList()) {
      aliases.put(a.getAlias(), Long.parseLong(a.getVersion()));
    }
    workspaceAliases(model).forEach(aliases::putIfAbsent);
    return new RegisteredModelInfo(model.getName(), Instant.ofEpochMilli(model.getCreationTimestamp()),
        Instant.ofEpochMilli(model.getLastUpdatedTimestamp()), aliases);
  }

  private static ModelVersionInfo toInfo(ModelVersion v) {
    List<String> aliases = new ArrayList<>(v.getAliasesList());
    aliases.sort(String::compareTo);
    return new ModelVersionInfo(v.getName(), Long.parseLong(v.getVersion()),
        v.getRunId().isEmpty() ? null : v.getRunId(), v.getSource(), aliases,
        Instant.ofEpochMilli(v.getCreationTimestamp()), v.getStatus().name());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FraudLakeException("interrupted while waiting for MLflow");
    }
  }
}
