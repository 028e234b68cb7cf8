package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The files under one artifact root URI (a run's artifact_uri or a model version's source), in
 * the spirit of MLflow's ArtifactRepository but with no Python behind it: the server's artifact
 * proxy over HTTP for {@code mlflow-artifacts:} roots, Hadoop's FileSystem for the rest.
 */
abstract class ArtifactRepository {
  record Entry(String path, boolean isDirectory) {}

  private final String rootUri;

  ArtifactRepository(String rootUri) {
    this.rootUri = rootUri;
  }

  String rootUri() {
    return rootUri;
  }

  /** Stores a local file at {@code path} (relative to the root, including the file name). */
  abstract void put(Path localFile, String path);

  /** The direct children of directory {@code dir} ("" for the root), paths relative to the root. */
  abstract List<Entry> list(String dir);

  /** Copies the file at {@code path} to {@code target}. */
  abstract void get(String path, Path target);

  static ArtifactRepository forUri(String uri, MlflowRestClient rest) {
    String scheme = URI.create(uri).getScheme();
    String lower = scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
    if (lower.equals("mlflow-artifacts")) {
      if (rest == null) {
        throw new FraudLakeException("artifact location " + uri + " needs an MLflow server (set MLFLOW_TRACKING_URI)");
      }
      return HttpArtifactRepository.forMlflowArtifactsUri(uri, rest);
    }
    if ((lower.equals("http") || lower.equals("https")) && uri.contains(HttpArtifactRepository.PROXY_PATH)) {
      return HttpArtifactRepository.forHttpUri(uri, rest);
    }
    if (lower.isEmpty() || lower.equals("runs") || lower.equals("models")) {
      throw new FraudLakeException("artifact location '" + uri + "' is not a storage URI");
    }
    return new HadoopArtifactRepository(uri);
  }

  final void logFile(Path localFile, String artifactDir) {
    ArtifactPaths.requireFile(localFile);
    put(localFile, ArtifactPaths.join(ArtifactPaths.normalize(artifactDir), localFile.getFileName().toString()));
  }

  final void logDirectory(Path localDir, String artifactDir) {
    ArtifactPaths.requireDirectory(localDir);
    String base = ArtifactPaths.normalize(artifactDir);
    for (String rel : ArtifactPaths.listFiles(localDir)) {
      put(localDir.resolve(rel), ArtifactPaths.join(base, rel));
    }
  }

  /** The entry at {@code path}, or null; the root is always a directory. */
  final Entry find(String path) {
    String p = ArtifactPaths.normalize(path);
    if (p.isEmpty()) {
      return new Entry("", true);
    }
    int slash = p.lastIndexOf('/');
    String parent = slash < 0 ? "" : p.substring(0, slash);
    for (Entry e : list(parent)) {
      if (ArtifactPaths.normalize(e.path()).equals(p)) {
        return e;
      }
    }
    return null;
  }

  /**
   * Downloads a file or a directory tree. A directory's contents land directly in
   * {@code destination}; a file lands as {@code destination/<name>}. Returns what was written.
   */
  final Path download(String path, Path destination, String whatIsMissing) {
    String p = ArtifactPaths.normalize(path);
    Entry entry = find(p);
    if (entry == null) {
      throw new FraudLakeException(whatIsMissing);
    }
    if (!entry.isDirectory()) {
      Path target = destination.resolve(p.substring(p.lastIndexOf('/') + 1));
      get(p, target);
      return target;
    }
    downloadTree(p, destination);
    return destination;
  }

  private void downloadTree(String dir, Path destination) {
    try {
      java.nio.file.Files.createDirectories(destination);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot create " + destination, e);
    }
    for (Entry e : list(dir)) {
      String rel = ArtifactPaths.normalize(e.path());
      String name = rel.substring(rel.lastIndexOf('/') + 1);
      String expected = ArtifactPaths.join(dir, name);
      // Listings may come from a server: every entry must be a direct child of the folder listed.
      if (!rel.equals(expected) || name.isEmpty() || name.equals(".")) {
        throw new FraudLakeException("refusing to download artifact '" + e.path() + "' listed under '" + dir
            + "' of " + rootUri() + ": it is not a file or folder inside it");
      }
      if (e.isDirectory()) {
        downloadTree(rel, destination.resolve(name));
      } else {
        get(rel, destination.resolve(name));
      }
    }
  }
}
