package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mlflow.api.proto.MlflowArtifacts;

/**
 * Artifacts behind an MLflow server's artifact proxy ({@code mlflow server --serve-artifacts}, the
 * default since MLflow 2.0): {@code PUT}/{@code GET /api/2.0/mlflow-artifacts/artifacts/<path>}
 * and {@code GET /api/2.0/mlflow-artifacts/artifacts?path=<dir>} to list.
 */
final class HttpArtifactRepository extends ArtifactRepository {
  static final String PROXY_PATH = "/api/2.0/mlflow-artifacts/artifacts";

  private final MlflowRestClient rest;
  private final String base;
  private final String rootPath;

  private HttpArtifactRepository(String rootUri, MlflowRestClient rest, String base, String rootPath) {
    super(rootUri);
    this.rest = rest;
    this.base = base;
    this.rootPath = ArtifactPaths.normalize(rootPath);
  }

  /**
   * {@code mlflow-artifacts:/1/<run>/artifacts} lives on the tracking server;
   * {@code mlflow-artifacts://host:port/...} on that host, reached with the tracking URI's scheme.
   */
  static HttpArtifactRepository forMlflowArtifactsUri(String uri, MlflowRestClient rest) {
    URI parsed = URI.create(uri);
    URI tracking = rest.connection().baseUri();
    String base = parsed.getRawAuthority() == null || parsed.getRawAuthority().isEmpty()
        ? tracking.toString()
        : tracking.getScheme() + "://" + parsed.getRawAuthority();
    String path = parsed.getPath() == null ? "" : parsed.getPath();
    return new HttpArtifactRepository(uri, rest, base, path);
  }

  static HttpArtifactRepository forHttpUri(String uri, MlflowRestClient rest) {
    if (rest == null) {
      throw new FraudLakeException("artifact location " + uri + " needs an MLflow server (set MLFLOW_TRACKING_URI)");
    }
    int at = uri.indexOf(PROXY_PATH);
    String base = uri.substring(0, at);
    String path = URI.create(uri).getPath();
    path = path.substring(path.indexOf(PROXY_PATH) + PROXY_PATH.length());
    return new HttpArtifactRepository(uri, rest, base, path);
  }

  @Override
  void put(Path localFile, String path) {
    rest.uploadArtifact(base, ArtifactPaths.join(rootPath, path), localFile);
  }

  @Override
  List<Entry> list(String dir) {
    String relDir = ArtifactPaths.normalize(dir);
    MlflowArtifacts.ListArtifacts request = MlflowArtifacts.ListArtifacts.newBuilder()
        .setPath(ArtifactPaths.join(rootPath, relDir))
        .build();
    MlflowArtifacts.ListArtifacts.Response response = rest.callAt(base, "GET", "mlflow-artifacts/artifacts",
        request, MlflowArtifacts.ListArtifacts.Response.newBuilder());
    List<Entry> out = new ArrayList<>();
    for (MlflowArtifacts.FileInfo f : response.getFilesList()) {
      // The proxy answers with names relative to the listed directory; anything else is refused.
      String name = f.getPath();
      if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")) {
        throw new FraudLakeException("the MLflow server listed artifact '" + name + "' under '"
            + ArtifactPaths.join(rootPath, relDir) + "', which is not a name inside that folder; refusing to download it");
      }
      out.add(new Entry(ArtifactPaths.join(relDir, name), f.getIsDir()));
    }
    return out;
  }

  @Override
  void get(String path, Path target) {
    rest.downloadArtifact(base, ArtifactPaths.join(rootPath, path), target);
  }
}
