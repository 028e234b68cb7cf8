package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A registry in a local folder, in MLflow's own file-store layout, so that
 * {@code mlflow ui --backend-store-uri <folder>} (or {@code mlflow server}) can browse it:
 *
 * <pre>
 * &lt;root&gt;/0/meta.yaml                                 the "Default" experiment MLflow expects
 * &lt;root&gt;/&lt;experiment id&gt;/meta.yaml                    name, artifact_location, lifecycle_stage
 * &lt;root&gt;/&lt;experiment id&gt;/&lt;run id&gt;/meta.yaml           status (int code), times, artifact_uri
 *                                   /params/&lt;key&gt;     the value
 *                                   /metrics/&lt;key&gt;    "timestamp value step" lines
 *                                   /tags/&lt;key&gt;       the value
 *                                   /artifacts/...
 * &lt;root&gt;/models/&lt;name&gt;/meta.yaml                     registered model
 * &lt;root&gt;/models/&lt;name&gt;/version-&lt;n&gt;/meta.yaml         model version (source = run artifact URI)
 * &lt;root&gt;/models/&lt;name&gt;/aliases/&lt;alias&gt;               the version number as text
 * &lt;root&gt;/.trash/                                   where MLflow moves deleted experiments
 * </pre>
 *
 * <p>Several processes may share the folder: version numbers are claimed by atomically creating
 * the {@code version-<n>} directory, experiments are created under a file lock, and every
 * metadata file is replaced by an atomic rename.
 */
public final class LocalModelRegistry implements ModelRegistry {
  static final String DEFAULT_EXPERIMENT_ID = "0";
  private static final String MODELS = "models";
  private static final String TRASH = ".trash";
  private static final String META = "meta.yaml";
  private static final String LOCK_FILE = ".fraudlake-registry.lock";
  private static final int SOURCE_TYPE_LOCAL = 4;
  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private final Path root;
  private final Map<String, Path> runDirs = new ConcurrentHashMap<>();

  public LocalModelRegistry(FraudLakeConfig config) {
    this(config.registryDir());
  }

  public LocalModelRegistry(Path root) {
    this.root = root.toAbsolutePath().normalize();
    initialize();
  }

  public Path root() {
    return root;
  }

  @Override
  public String describe() {
    return "local registry at " + root;
  }

  private void initialize() {
    try {
      Files.createDirectories(root.resolve(MODELS));
      Files.createDirectories(root.resolve(TRASH));
    } catch (IOException e) {
      throw new FraudLakeException("cannot create the local registry at " + root + ": " + e.getMessage(), e);
    }
    withRootLock(() -> {
      if (!Files.exists(root.resolve(DEFAULT_EXPERIMENT_ID).resolve(META))) {
        writeExperiment(DEFAULT_EXPERIMENT_ID, "Default");
      }
      return null;
    });
  }

  // ---- experiments -----------------------------------------------------------------------------

  @Override
  public String getOrCreateExperiment(String name) {
    Names.experimentName(name);
    Optional<String> existing = findExperiment(name);
    if (existing.isPresent()) {
      return existing.get();
    }
    return withRootLock(() -> {
      Optional<String> again = findExperiment(name);
      if (again.isPresent()) {
        return again.get();
      }
      long next = experimentDirs().stream()
          .map(p -> p.getFileName().toString())
          .filter(id -> id.matches("[0-9]{1,18}"))
          .mapToLong(Long::parseLong)
          .max().orElse(0) + 1;
      String id = Long.toString(next);
      writeExperiment(id, name);
      return id;
    });
  }

  private void writeExperiment(String id, String name) {
    long now = System.currentTimeMillis();
    Path dir = root.resolve(id);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("artifact_location", dir.toUri().toString().replaceAll("/$", ""));
    meta.put("creation_time", now);
    meta.put("experiment_id", id);
    meta.put("last_update_time", now);
    meta.put("lifecycle_stage", "active");
    meta.put("name", name);
    YamlFiles.write(dir.resolve(META), meta);
  }

  private Optional<String> findExperiment(String name) {
    for (Path dir : experimentDirs()) {
      Path meta = dir.resolve(META);
      if (!Files.isRegularFile(meta)) {
        continue;
      }
      Map<String, Object> m = YamlFiles.read(meta);
      if (name.equals(m.get("name")) && "active".equals(m.get("lifecycle_stage"))) {
        return Optional.of(dir.getFileName().toString());
      }
    }
    return Optional.empty();
  }

  private List<Path> experimentDirs() {
    try (Stream<Path> list = Files.list(root)) {
      return list.filter(Files::isDirectory)
          .filter(p -> !p.getFileName().toString().equals(MODELS) && !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
  }

  // ---- runs ------------------------------------------------------------------------------------

  @Override
  public String startRun(String experimentId, String runName, Map<String, String> tags) {
    Path expDir = root.resolve(requireExperimentId(experimentId));
    if (!Files.isRegularFile(expDir.resolve(META))) {
      throw new FraudLakeException("experiment '" + experimentId + "' not found in " + describe());
    }
    Map<String, Object> expMeta = YamlFiles.read(expDir.resolve(META));
    String runId = UUID.randomUUID().toString().replace("-", "");
    Map<String, String> allTags = RunTags.forNewRun(runName, tags);
    String name = allTags.get(RunTags.RUN_NAME);
    Path runDir = expDir.resolve(runId);
    String artifactLocation = String.valueOf(expMeta.getOrDefault("artifact_location", expDir.toUri().toString()));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("artifact_uri", ArtifactPaths.appendToUri(artifactLocation, runId + "/artifacts"));
    meta.put("end_time", null);
    meta.put("entry_point_name", "");
    meta.put("experiment_id", experimentId);
    meta.put("lifecycle_stage", "active");
    meta.put("run_id", runId);
    meta.put("run_name", name);
    meta.put("run_uuid", runId);
    meta.put("source_name", "");
    meta.put("source_type", SOURCE_TYPE_LOCAL);
    meta.put("source_version", "");
    meta.put("start_time", System.currentTimeMillis());
    meta.put("status", RunStatus.RUNNING.code());
    meta.put("tags", List.of());
    meta.put("user_id", RunTags.user());
    meta.put("deleted_time", null);
    try {
      Files.createDirectories(runDir.resolve("metrics"));
      Files.createDirectories(runDir.resolve("params"));
      Files.createDirectories(runDir.resolve("artifacts"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run folder " + runDir, e);
    }
    YamlFiles.write(runDir.resolve(META), meta);
    runDirs.put(runId, runDir);
    allTags.forEach((k, v) -> YamlFiles.writeString(runDir.resolve("tags").resolve(Names.key("tag", k)), v));
    return runId;
  }

  private static String requireExperimentId(String experimentId) {
    if (experimentId == null || !experimentId.matches("[A-Za-z0-9][\\w\\-]{0,63}")) {
      throw new FraudLakeException("invalid experiment id '" + experimentId + "'");
    }
    return experimentId;
  }

  private Path runDir(String runId) {
    Names.runId(runId);
    Path cached = runDirs.get(runId);
    if (cached != null && Files.isRegularFile(cached.resolve(META))) {
      return cached;
    }
    for (Path exp : experimentDirs()) {
      Path candidate = exp.resolve(runId);
      if (Files.isRegularFile(candidate.resolve(META))) {
        runDirs.put(runId, candidate);
        return candidate;
      }
    }
    throw new FraudLakeException("run '" + runId + "' not found in " + describe());
  }

  private Path activeRunDir(String runId) {
    Path dir = runDir(runId);
    Map<String, Object> meta = YamlFiles.read(dir.resolve(META));
    if (!"active".equals(meta.get("lifecycle_stage"))) {
      throw new FraudLakeException("run '" + runId + "' is deleted");
    }
    return dir;
  }

  @Override
  public void logParams(String runId, Map<String, String> params) {
    Path dir = activeRunDir(runId);
    params.forEach((k, v) -> writeParam(dir, runId, k, v));
  }

  private static void writeParam(Path runDir, String runId, String key, String value) {
    Path file = runDir.resolve("params").resolve(Names.key("param", key));
    String text = value == null ? "" : value;
    if (Files.isRegularFile(file)) {
      String current = YamlFiles.readString(file);
      if (!current.equals(text)) {
        throw new FraudLakeException("param '" + key + "' of run '" + runId + "' was already logged as '"
            + current + "' and MLflow does not allow changing it to '" + text + "'");
      }
      return;
    }
    YamlFiles.writeString(file, text);
  }

  @Override
  public void logMetric(String runId, String key, double value, long step) {
    appendMetrics(activeRunDir(runId), List.of(Metric.of(key, value, step)));
  }

  @Override
  public void logMetrics(String runId, Map<String, Double> metrics, long step) {
    long now = System.currentTimeMillis();
    List<Metric> list = new ArrayList<>();
    metrics.forEach((k, v) -> list.add(new Metric(k, v, now, step)));
    appendMetrics(activeRunDir(runId), list);
  }

  private static void appendMetrics(Path runDir, List<Metric> metrics) {
    for (Metric m : metrics) {
      Path file = runDir.resolve("metrics").resolve(Names.key("metric", m.key()));
      String line = m.timestamp() + " " + formatDouble(m.value()) + " " + m.step() + "\n";
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write metric " + file, e);
      }
    }
  }

  // Python's float() reads Java's rendering too ("1.0E-5", "NaN", "Infinity"), so the UI can parse it.
  private static String formatDouble(double v) {
    return Double.toString(v);
  }

  @Override
  public void setTags(String runId, Map<String, String> tags) {
    Path dir = activeRunDir(runId);
    tags.forEach((k, v) -> {
      YamlFiles.writeString(dir.resolve("tags").resolve(Names.key("tag", k)), v == null ? "" : v);
      if (RunTags.RUN_NAME.equals(k)) {
        updateRunMeta(dir, meta -> meta.put("run_name", v));
      }
    });
  }

  @Override
  public void logBatch(String runId, Map<String, String> params, List<Metric> metrics, Map<String, String> tags) {
    Path dir = activeRunDir(runId);
    params.forEach((k, v) -> writeParam(dir, runId, k, v));
    appendMetrics(dir, metrics);
    setTags(runId, tags);
  }

  @Override
  public void logArtifact(String runId, Path localFile, String artifactPath) {
    ArtifactPaths.requireFile(localFile);
    Path target = artifactDir(runDir(runId)).resolve(ArtifactPaths.normalize(artifactPath))
        .resolve(localFile.getFileName().toString());
    copyFile(localFile, target);
  }

  @Override
  public void logArtifacts(String runId, Path localDir, String artifactPath) {
    ArtifactPaths.requireDirectory(localDir);
    Path target = artifactDir(runDir(runId)).resolve(ArtifactPaths.normalize(artifactPath));
    for (String rel : ArtifactPaths.listFiles(localDir)) {
      copyFile(localDir.resolve(rel), target.resolve(rel));
    }
  }

  private static void copyFile(Path from, Path to) {
    try {
      Files.createDirectories(to.getParent());
      Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }

  private Path artifactDir(Path runDir) {
    Map<String, Object> meta = YamlFiles.read(runDir.resolve(META));
    return localPath(String.valueOf(meta.get("artifact_uri")));
  }

  private Path localPath(String uri) {
    if (uri.startsWith("file:")) {
      return Path.of(URI.create(uri));
    }
    if (uri.startsWith("/")) {
      return Path.of(uri);
    }
    throw new FraudLakeException("artifact location '" + uri + "' is not on the local disk; "
        + "set MLFLOW_TRACKING_URI to use a remote registry");
  }

  @Override
  public void endRun(String runId, RunStatus status) {
    if (!status.isTerminal()) {
      throw new FraudLakeException("a run can only end as FINISHED, FAILED or KILLED, not " + status);
    }
    updateRunMeta(runDir(runId), meta -> {
      meta.put("status", status.code());
      meta.put("end_time", System.currentTimeMillis());
    });
  }

  private void updateRunMeta(Path runDir, java.util.function.Consumer<Map<String, Object>> change) {
    Map<String, Object> meta = YamlFiles.read(runDir.resolve(META));
    change.accept(meta);
    YamlFiles.write(runDir.resolve(META), meta);
  }

  @Override
  public RunInfo getRun(String runId) {
    Path dir = runDir(runId);
    Map<String, Object> meta = YamlFiles.read(dir.resolve(META));
    Map<String, String> params = readValues(dir.resolve("params"));
    Map<String, String> tags = readValues(dir.resolve("tags"));
    Map<String, Double> metrics = new HashMap<>();
    Path metricsDir = dir.resolve("metrics");
    if (Files.isDirectory(metricsDir)) {
      for (String key : ArtifactPaths.listFiles(metricsDir)) {
        latestMetric(metricsDir.resolve(key)).ifPresent(v -> metrics.put(key, v));
      }
    }
    Object end = meta.get("end_time");
    String runName = meta.get("run_name") != null ? String.valueOf(meta.get("run_name")) : tags.get(RunTags.RUN_NAME);
    return new RunInfo(
        runId,
        String.valueOf(meta.get("experiment_id")),
        runName,
        RunStatus.fromCode(asLong(meta.getOrDefault("status", RunStatus.RUNNING.code())).intValue()),
        Instant.ofEpochMilli(asLong(meta.get("start_time"))),
        end == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(asLong(end))),
        String.valueOf(meta.get("artifact_uri")),
        params,
        metrics,
        tags);
  }

  private static Map<String, String> readValues(Path dir) {
    Map<String, String> out = new HashMap<>();
    if (Files.isDirectory(dir)) {
      for (String key : ArtifactPaths.listFiles(dir)) {
        if (!key.contains("/.") && !key.startsWith(".")) {
          out.put(key, YamlFiles.readString(dir.resolve(key)));
        }
      }
    }
    return out;
  }

  // MLflow shows the value with the highest (step, timestamp, value), not simply the last line.
  private static Optional<Double> latestMetric(Path file) {
    long bestStep = Long.MIN_VALUE;
    long bestTs = Long.MIN_VALUE;
    Double best = null;
    for (String line : YamlFiles.readString(file).split("\n")) {
      String[] parts = line.trim().split(" ");
      if (parts.length < 2) {
        continue;
      }
      long ts = Long.parseLong(parts[0]);
      double value = Double.parseDouble(parts[1]);
      long step = parts.length > 2 ? Long.parseLong(parts[2]) : 0;
      if (best == null || step > bestStep || (step == bestStep && (ts > bestTs || (ts == bestTs && value > best)))) {
        bestStep = step;
        bestTs = ts;
        best = value;
      }
    }
    return Optional.ofNullable(best);
  }

  @Override
  public Path downloadRunArtifacts(String runId, String artifactPath, Path destination) {
    String rel = ArtifactPaths.normalize(artifactPath);
    Path source = artifactDir(runDir(runId)).resolve(rel);
    return copyTree(source, destination, "run '" + runId + "' has no artifact at '" + rel + "'");
  }

  private static Path copyTree(Path source, Path destination, String missing) {
    try {
      if (Files.isRegularFile(source)) {
        Files.createDirectories(destination);
        Path target = destination.resolve(source.getFileName().toString());
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        return target;
      }
      if (!Files.isDirectory(source)) {
        throw new FraudLakeException(missing);
      }
      Files.createDirectories(destination);
      for (String rel : ArtifactPaths.listFiles(source)) {
        copyFile(source.resolve(rel), destination.resolve(rel));
      }
      return destination;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + source + " to " + destination, e);
    }
  }

  // ---- registered models -----------------------------------------------------------------------

  private Path modelDir(String name) {
    return root.resolve(MODELS).resolve(Names.modelName(name));
  }

  private Path existingModelDir(String name) {
    Path dir = modelDir(name);
    if (!Files.isDirectory(dir)) {
      throw new FraudLakeException("registered model '" + name + "' not found in " + describe());
    }
    return dir;
  }

  @Override
  public RegisteredModelInfo createRegisteredModel(String name) {
    Path dir = modelDir(name);
    try {
      Files.createDirectory(dir);
      long now = System.currentTimeMillis();
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("creation_timestamp", now);
      meta.put("description", null);
      meta.put("last_updated_timestamp", now);
      meta.put("name", name);
      YamlFiles.write(dir.resolve(META), meta);
    } catch (FileAlreadyExistsException e) {
      // Someone else created it (maybe a moment ago): get-or-create returns the existing model.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    return readModel(dir);
  }

  private RegisteredModelInfo readModel(Path dir) {
    Map<String, Object> meta = awaitMeta(dir.resolve(META));
    return new RegisteredModelInfo(
        String.valueOf(meta.get("name")),
        Instant.ofEpochMilli(asLong(meta.get("creation_timestamp"))),
        Instant.ofEpochMilli(asLong(meta.get("last_updated_timestamp"))),
        readAliases(dir));
  }

  /** Waits briefly for a meta.yaml another process has just claimed the folder for. */
  private static Map<String, Object> awaitMeta(Path meta) {
    for (int attempt = 0; ; attempt++) {
      if (Files.isRegularFile(meta)) {
        return YamlFiles.read(meta);
      }
      if (attempt >= 50) {
        throw new FraudLakeException("registry metadata " + meta + " is missing");
      }
      sleep(20);
    }
  }

  private static Map<String, Long> readAliases(Path modelDir) {
    Map<String, Long> aliases = new HashMap<>();
    Path dir = modelDir.resolve("aliases");
    if (Files.isDirectory(dir)) {
      for (String alias : ArtifactPaths.listFiles(dir)) {
        if (!alias.startsWith(".")) {
          aliases.put(alias, Long.parseLong(YamlFiles.readString(dir.resolve(alias)).trim()));
        }
      }
    }
    return aliases;
  }

  @Override
  public List<RegisteredModelInfo> listRegisteredModels() {
    try (Stream<Path> list = Files.list(root.resolve(MODELS))) {
      return list.filter(p -> Files.isRegularFile(p.resolve(META)))
          .sorted()
          .map(this::readModel)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list models in " + root, e);
    }
  }

  // ---- model versions --------------------------------------------------------------------------

  @Override
  public ModelVersionInfo createModelVersion(String name, String runId, String artifactPath) {
    Path modelDir = existingModelDir(name);
    Path runDir = runDir(runId);
    String rel = ArtifactPaths.normalize(artifactPath);
    if (!Files.exists(artifactDir(runDir).resolve(rel))) {
      throw new FraudLakeException("run '" + runId + "' has no artifact at '" + rel + "' to register");
    }
    String source = ArtifactPaths.appendToUri(String.valueOf(YamlFiles.read(runDir.resolve(META)).get("artifact_uri")), rel);
    long version = maxVersion(modelDir) + 1;
    Path versionDir;
    while (true) {
      versionDir = modelDir.resolve("version-" + version);
      try {
        // mkdir is atomic: exactly one process or thread wins each number.
        Files.createDirectory(versionDir);
        break;
      } catch (FileAlreadyExistsException e) {
        version++;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + versionDir, e);
      }
    }
    long now = System.currentTimeMillis();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("aliases", List.of());
    meta.put("creation_timestamp", now);
    meta.put("current_stage", "None");
    meta.put("description", null);
    meta.put("last_updated_timestamp", now);
    meta.put("name", name);
    meta.put("run_id", runId);
    meta.put("run_link", null);
    meta.put("source", source);
    meta.put("status", "READY");
    meta.put("status_message", null);
    meta.put("storage_location", source);
    meta.put("user_id", null);
    meta.put("version", version);
    YamlFiles.write(versionDir.resolve(META), meta);
    touchModel(modelDir, now);
    return readVersion(modelDir, versionDir);
  }

  private static long maxVersion(Path modelDir) {
    try (Stream<Path> list = Files.list(modelDir)) {
      return list.map(p -> p.getFileName().toString())
          .filter(n -> n.matches("version-[0-9]+"))
          .mapToLong(n -> Long.parseLong(n.substring("version-".length())))
          .max().orElse(0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + modelDir, e);
    }
  }

  private static void touchModel(Path modelDir, long now) {
    Path metaFile = modelDir.resolve(META);
    Map<String, Object> meta = awaitMeta(metaFile);
    meta.put("last_updated_timestamp", now);
    YamlFiles.write(metaFile, meta);
  }

  private ModelVersionInfo readVersion(Path modelDir, Path versionDir) {
    Map<String, Object> meta = awaitMeta(versionDir.resolve(META));
    long version = asLong(meta.get("version"));
    List<String> aliases = new ArrayList<>();
    readAliases(modelDir).forEach((alias, v) -> {
      if (v == version) {
        aliases.add(alias);
      }
    });
    aliases.sort(String::compareTo);
    return new ModelVersionInfo(
        String.valueOf(meta.get("name")),
        version,
        meta.get("run_id") == null ? null : String.valueOf(meta.get("run_id")),
        String.valueOf(meta.getOrDefault("storage_location", meta.get("source"))),
        aliases,
        Instant.ofEpochMilli(asLong(meta.get("creation_timestamp"))),
        String.valueOf(meta.getOrDefault("status", "READY")));
  }

  private static boolean isDeleted(Path versionDir) {
    Path meta = versionDir.resolve(META);
    return Files.isRegularFile(meta) && "Deleted_Internal".equals(YamlFiles.read(meta).get("current_stage"));
  }

  @Override
  public ModelVersionInfo getModelVersion(String name, long version) {
    Names.version(version);
    Path modelDir = existingModelDir(name);
    Path versionDir = modelDir.resolve("version-" + version);
    if (!Files.isDirectory(versionDir) || isDeleted(versionDir)) {
      throw new FraudLakeException("registered model '" + name + "' version " + version + " not found");
    }
    return readVersion(modelDir, versionDir);
  }

  @Override
  public List<ModelVersionInfo> searchModelVersions(String name) {
    Path modelDir = existingModelDir(name);
    try (Stream<Path> list = Files.list(modelDir)) {
      return list.filter(p -> p.getFileName().toString().matches("version-[0-9]+"))
          .filter(p -> Files.isRegularFile(p.resolve(META)) && !isDeleted(p))
          .map(p -> readVersion(modelDir, p))
          .sorted(Comparator.comparingLong(ModelVersionInfo::version).reversed())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + modelDir, e);
    }
  }

  @Override
  public void setAlias(String name, String alias, long version) {
    Names.alias(alias);
    getModelVersion(name, version);
    Path modelDir = existingModelDir(name);
    YamlFiles.writeString(modelDir.resolve("aliases").resolve(alias), Long.toString(version));
    touchModel(modelDir, System.currentTimeMillis());
  }

  @Override
  public void deleteAlias(String name, String alias) {
    Names.alias(alias);
    Path modelDir = existingModelDir(name);
    try {
      if (Files.deleteIfExists(modelDir.resolve("aliases").resolve(alias))) {
        touchModel(modelDir, System.currentTimeMillis());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete alias " + alias, e);
    }
  }

  @Override
  public ModelVersionInfo getModelVersionByAlias(String name, String alias) {
    Names.alias(alias);
    Path modelDir = existingModelDir(name);
    Path file = modelDir.resolve("aliases").resolve(alias);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      throw new FraudLakeException("alias '" + alias + "' is not set on model '" + name + "'");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return getModelVersion(name, Long.parseLong(text));
  }

  @Override
  public Path downloadModelVersion(ModelVersionInfo version, Path destination) {
    Path source = localPath(version.source());
    copyTree(source, destination, "the files of " + version.uri() + " are missing at " + version.source());
    return destination;
  }

  @Override
  public void close() {}

  // ---- helpers ---------------------------------------------------------------------------------

  private static Long asLong(Object value) {
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (value == null) {
      return 0L;
    }
    return Long.parseLong(String.valueOf(value).trim());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FraudLakeException("interrupted while waiting for the registry");
    }
  }

  /** Serialises experiment creation across threads (JVM lock) and processes (file lock). */
  private <T> T withRootLock(java.util.function.Supplier<T> action) {
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(root, r -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel channel = FileChannel.open(root.resolve(LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock ignored = channel.lock()) {
      return action.get();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + root.resolve(LOCK_FILE), e);
    } finally {
      jvmLock.unlock();
    }
  }
}
