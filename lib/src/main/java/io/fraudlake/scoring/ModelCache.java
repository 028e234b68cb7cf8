package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.MlflowModelDirectory;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelVersionInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Local copies of registered model versions, so a version is downloaded once per machine. An entry
 * is {@code <root>/<registry key>/<model name>/<version>/} holding the MLflow model directory
 * ({@code model/}) and a {@value #MANIFEST} written last: the version's source and run id as the
 * registry gave them, and the size and SHA-256 of every file.
 *
 * <p>The registry key is a hash of the registry's description (its folder or server URL, never a
 * secret), because two registries both have a version 1. An entry is used only when its manifest
 * names the same source and run id the registry gives now and every file matches it, with no file
 * missing or added; anything else (a download that died half way, a file damaged or edited since, a
 * registry recreated at the same address) is fetched again. A download goes to a folder of its own
 * and is renamed into place complete, so readers, and other processes sharing the cache, never see
 * half a model.
 */
public final class ModelCache {
  static final String MANIFEST = "manifest.sha256";
  static final String MODEL_DIR = "model";
  private static final String SOURCE = "# source ";
  private static final String RUN = "# run ";
  private static final Logger LOG = LogManager.getLogger(ModelCache.class);

  /** The registry failed while the version's files were coming down; nothing was cached. */
  public static final class DownloadFailedException extends FraudLakeException {
    DownloadFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Path root;

  public ModelCache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** The folder of {@code registry}'s entries: registries are told apart by their description. */
  public Path registryFolder(ModelRegistry registry) {
    byte[] hash = sha256().digest(registry.describe().getBytes(StandardCharsets.UTF_8));
    return root.resolve(HexFormat.of().formatHex(hash, 0, 8));
  }

  /**
   * The verified local MLflow model directory of {@code version}, downloaded from {@code registry}
   * when the cache has no sound copy of it.
   */
  public Path directory(ModelRegistry registry, ModelVersionInfo version) {
    Path entry = entry(registry, version);
    String problem = problemWith(entry, version);
    if (problem == null) {
      return entry.resolve(MODEL_DIR);
    }
    if (Files.exists(entry)) {
      LOG.warn("the cached copy of {} in {} is not usable ({}); downloading it again", version.uri(), entry, problem);
    }
    return fetch(registry, version, entry);
  }

  private Path entry(ModelRegistry registry, ModelVersionInfo version) {
    String name = URLEncoder.encode(version.name(), StandardCharsets.UTF_8);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new FraudLakeException("the registry returned an unusable model name '" + version.name() + "'");
    }
    return registryFolder(registry).resolve(name).resolve(Long.toString(version.version()));
  }

  private Path fetch(ModelRegistry registry, ModelVersionInfo version, Path entry) {
    Path partial = entry.resolveSibling("." + entry.getFileName() + ".download-" + UUID.randomUUID());
    try {
      Files.createDirectories(partial);
      Path model = partial.resolve(MODEL_DIR);
      try {
        registry.downloadModelVersion(version, model);
      } catch (FraudLakeException | java.io.UncheckedIOException e) {
        throw new DownloadFailedException("cannot download " + version.uri() + " from " + registry.describe() + ": "
            + e.getMessage(), e);
      }
      if (!Files.isRegularFile(model.resolve(MlflowModelDirectory.MLMODEL))) {
        throw new FraudLakeException(version.uri() + " is not an MLflow model (no MLmodel file at " + version.source() + ")");
      }
      String runInModel = MlflowModelDirectory.read(model).runId().orElse(null);
      if (version.runId() != null && runInModel != null && !runInModel.equals(version.runId())) {
        throw new FraudLakeException(version.uri() + " belongs to run " + version.runId() + ", but the files at "
            + version.source() + " are those of run " + runInModel);
      }
      Files.writeString(partial.resolve(MANIFEST), manifest(model, version));
      install(partial, entry, version);
      return entry.resolve(MODEL_DIR);
    } catch (IOException e) {
      throw new FraudLakeException("cannot cache " + version.uri() + " in " + root + ": " + e.getMessage(), e);
    } finally {
      Folders.deleteRecursively(partial);
    }
  }

  /** Renames the complete download into place, unless another process put a sound copy there first. */
  private static void install(Path partial, Path entry, ModelVersionInfo version) throws IOException {
    Files.createDirectories(entry.getParent());
    for (int attempt = 0; attempt < 3; attempt++) {
      if (Files.exists(entry)) {
        if (problemWith(entry, version) == null) {
          return;
        }
        Folders.deleteRecursively(entry);
      }
      try {
        Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
        return;
      } catch (FileSystemException e) {
        // Another process renamed its copy into place between the check and the move.
        if (!Files.exists(entry)) {
          throw e;
        }
      }
    }
    throw new FraudLakeException("cannot put " + version.uri() + " into " + entry + ": another process keeps replacing it");
  }

  /** Why the entry cannot be used for {@code version}, or null when it can. */
  static String problemWith(Path entry, ModelVersionInfo version) {
    Path manifest = entry.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      return Files.exists(entry) ? "no " + MANIFEST + ": an incomplete download" : "not cached";
    }
    try {
      List<String> expected = Files.readAllLines(manifest, StandardCharsets.UTF_8);
      List<String> actual = List.of(manifest(entry.resolve(MODEL_DIR), version).split("\n"));
      if (expected.equals(actual)) {
        return null;
      }
      for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
        String want = i < expected.size() ? expected.get(i) : "(nothing)";
        String have = i < actual.size() ? actual.get(i) : "(nothing)";
        if (!want.equals(have)) {
          return "expected '" + want + "', found '" + have + "'";
        }
      }
      return "its manifest does not match";
    } catch (IOException | RuntimeException e) {
      return "cannot be read: " + e.getMessage();
    }
  }

  /** The version's identity, then "sha256 size path" for every file under {@code model}, sorted by path. */
  private static String manifest(Path model, ModelVersionInfo version) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(SOURCE + Objects.toString(version.source(), ""));
    lines.add(RUN + Objects.toString(version.runId(), ""));
    List<Path> files;
    try (Stream<Path> walk = Files.walk(model)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      lines.add(String.format(Locale.ROOT, "%s %d %s", sha256(file), Files.size(file),
          model.relativize(file).toString().replace('\\', '/')));
    }
    return String.join("\n", lines);
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256();
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
