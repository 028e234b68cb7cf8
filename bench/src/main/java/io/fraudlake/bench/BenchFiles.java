package io.fraudlake.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** File chores of the pipeline benchmarks: clearing a table between rounds, writing the result. */
final class BenchFiles {
  private BenchFiles() {}

  static void deleteFolder(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One flat JSON object, the format bench/run collects from every benchmark. */
  static void writeJson(Path out, Map<String, Object> fields) {
    String json = fields.entrySet().stream()
        .map(e -> Measurement.value(e.getKey()) + ":" + Measurement.value(e.getValue()))
        .collect(Collectors.joining(",", "{", "}\n"));
    try {
      Files.writeString(out, json);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + out, e);
    }
  }
}
