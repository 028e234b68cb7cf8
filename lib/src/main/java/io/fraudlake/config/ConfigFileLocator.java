package io.fraudlake.config;

import io.fraudlake.FraudLakeException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds the file {@code --conf} names wherever the jar runs: the path as given (relative to the current
 * folder, or absolute); a file shipped with {@code spark-submit --files}, which the driver sees at its
 * original path in client mode (the {@code spark.files} property) and in its working folder where the
 * cluster manager localizes it (YARN, Kubernetes); so the same command line works on a laptop and
 * under spark-submit.
 */
public final class ConfigFileLocator {
  /** The properties spark-submit sets on the driver with the files of {@code --files}. */
  private static final List<String> SHIPPED_FILE_PROPERTIES = List.of("spark.files", "spark.yarn.dist.files");

  private final Path workingDir;
  private final Function<String, String> properties;

  public ConfigFileLocator(Path workingDir, Function<String, String> properties) {
    this.workingDir = workingDir.toAbsolutePath().normalize();
    this.properties = properties;
  }

  /** A locator for this JVM: its current folder and its system properties. */
  public static ConfigFileLocator forThisJvm() {
    return new ConfigFileLocator(Path.of(""), System::getProperty);
  }

  /** A locator over fixed properties, e.g. those a test or an embedding application sets. */
  public static ConfigFileLocator of(Path workingDir, Map<String, String> properties) {
    return new ConfigFileLocator(workingDir, properties::get);
  }

  /** The first existing candidate for {@code requested}; fails with one line listing every place tried. */
  public Path locate(Path requested) {
    List<Path> candidates = candidates(requested);
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new FraudLakeException("configuration file not found: " + requested + " (looked for "
        + String.join(", ", candidates.stream().map(Path::toString).toList()) + ")");
  }

  private List<Path> candidates(Path requested) {
    Set<Path> out = new LinkedHashSet<>();
    out.add(workingDir.resolve(requested).normalize());
    Path name = requested.getFileName();
    if (name != null) {
      for (String shipped : shippedFiles()) {
        Path local = localPath(shipped);
        if (local != null && name.equals(local.getFileName())) {
          out.add(local);
        }
      }
      out.add(workingDir.resolve(name));
    }
    return new ArrayList<>(out);
  }

  private List<String> shippedFiles() {
    List<String> files = new ArrayList<>();
    for (String property : SHIPPED_FILE_PROPERTIES) {
      String value = properties.apply(property);
      if (value != null && !value.isBlank()) {
        for (String entry : value.split(",")) {
          if (!entry.isBlank()) {
            files.add(entry.strip());
          }
        }
      }
    }
    return files;
  }

  /** The local path of a shipped file's URI, or null for a remote one (hdfs:, s3a:, ...). */
  private Path localPath(String shipped) {
    // A '#alias' suffix renames the file in the working folder (YARN); the source is the part before it.
    String withoutAlias = shipped.contains("#") ? shipped.substring(0, shipped.indexOf('#')) : shipped;
    try {
      URI uri = URI.create(withoutAlias);
      if (uri.getScheme() == null) {
        return workingDir.resolve(withoutAlias).normalize();
      }
      return "file".equals(uri.getScheme()) ? Path.of(uri).normalize() : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
