package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/** YAML and small-file IO shaped like MLflow's (block style, sorted keys, atomic replacement). */
final class YamlFiles {
  private YamlFiles() {}

  private static Yaml yaml() {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setWidth(Integer.MAX_VALUE);
    // SafeConstructor/Representer: plain maps, lists and scalars only, never arbitrary classes.
    return new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options);
  }

  /** Dumps with sorted keys, as MLflow's yaml.safe_dump does, so files diff cleanly. */
  static String dump(Map<String, ?> data) {
    return yaml().dump(sorted(data));
  }

  @SuppressWarnings("unchecked")
  private static Object sorted(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new TreeMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), sorted(v)));
      return out;
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> read(Path file) {
    try {
      Object loaded = yaml().load(Files.readString(file, StandardCharsets.UTF_8));
      if (loaded == null) {
        return new LinkedHashMap<>();
      }
      if (!(loaded instanceof Map)) {
        throw new FraudLakeException("malformed registry file " + file + ": expected a YAML mapping");
      }
      return new LinkedHashMap<>((Map<String, Object>) loaded);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (org.yaml.snakeyaml.error.YAMLException e) {
      throw new FraudLakeException("malformed registry file " + file + ": " + firstLine(e.getMessage()), e);
    }
  }

  static void write(Path file, Map<String, ?> data) {
    writeString(file, dump(data));
  }

  /**
   * Writes through a temporary file and an atomic rename, so a concurrent reader (another process,
   * or the MLflow UI) sees either the old or the new content, never a half-written file.
   */
  static void writeString(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
      try {
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static String readString(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int nl = text.indexOf('\n');
    return (nl < 0 ? text : text.substring(0, nl)).trim();
  }
}
