package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Validation and joining of the relative, '/'-separated paths used inside artifact roots. */
final class ArtifactPaths {
  private ArtifactPaths() {}

  /** "" for the root; otherwise a normalised relative path without leading or trailing '/'. */
  static String normalize(String artifactPath) {
    if (artifactPath == null) {
      return "";
    }
    String p = artifactPath.replace('\\', '/');
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    for (String part : p.split("/")) {
      if (part.equals("..") || (part.isEmpty() && !p.isEmpty())) {
        throw new FraudLakeException("invalid artifact path '" + artifactPath
            + "': it must be relative, without '..' or empty segments");
      }
    }
    return p.equals(".") ? "" : p;
  }

  static String join(String... parts) {
    StringBuilder out = new StringBuilder();
    for (String part : parts) {
      String p = part == null ? "" : part;
      while (p.startsWith("/")) {
        p = p.substring(1);
      }
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      if (p.isEmpty()) {
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(p);
    }
    return out.toString();
  }

  /** Appends a relative path to a URI such as {@code mlflow-artifacts:/1/abc/artifacts}. */
  static String appendToUri(String uri, String relative) {
    if (relative == null || relative.isEmpty()) {
      return uri;
    }
    return uri.endsWith("/") ? uri + relative : uri + "/" + relative;
  }

  /** Every regular file under {@code dir}, as '/'-separated paths relative to it, sorted. */
  static List<String> listFiles(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      List<String> out = new ArrayList<>();
      walk.filter(Files::isRegularFile)
          .forEach(f -> out.add(dir.relativize(f).toString().replace('\\', '/')));
      out.sort(String::compareTo);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  static Path requireFile(Path localFile) {
    if (localFile == null || !Files.isRegularFile(localFile)) {
      throw new FraudLakeException("artifact file not found: " + localFile);
    }
    return localFile;
  }

  static Path requireDirectory(Path localDir) {
    if (localDir == null || !Files.isDirectory(localDir)) {
      throw new FraudLakeException("artifact directory not found: " + localDir);
    }
    return localDir;
  }
}
