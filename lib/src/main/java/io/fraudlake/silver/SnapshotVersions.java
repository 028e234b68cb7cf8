package io.fraudlake.silver;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Snapshots numbered by micro-batch in one folder ({@code v<batch id><suffix>}), and the rule both
 * kinds of pending-event snapshots follow: batch N starts from the newest complete snapshot of a batch
 * before N (so does its replay), and once N has written its own, the ones older than the snapshot N
 * started from can go, since no replay can need them.
 */
final class SnapshotVersions {
  private static final String PREFIX = "v";

  private final Path dir;
  private final String suffix;
  /** What the snapshots hold, for error messages. */
  private final String what;

  SnapshotVersions(Path dir, String suffix, String what) {
    this.dir = dir;
    this.suffix = suffix;
    this.what = what;
  }

  Path dir() {
    return dir;
  }

  Path of(long batchId) {
    return dir.resolve(PREFIX + batchId + suffix);
  }

  /** The newest snapshot of a batch before {@code batchId} that {@code complete} accepts. */
  OptionalLong newestBefore(long batchId, Predicate<Path> complete) {
    return list().stream().filter(v -> v < batchId && complete.test(of(v))).mapToLong(Long::longValue).max();
  }

  /** The snapshots before {@code batchId} that no replay can need, given the one it started from. */
  List<Path> unneeded(long batchId, OptionalLong startedFrom) {
    return list().stream()
        .filter(v -> v < batchId && (startedFrom.isEmpty() || v < startedFrom.getAsLong()))
        .map(this::of)
        .toList();
  }

  private List<Long> list() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(PREFIX) && n.endsWith(suffix))
          .map(n -> n.substring(PREFIX.length(), n.length() - suffix.length()))
          .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .toList();
    } catch (IOException e) {
      throw new FraudLakeException("cannot list " + what + " in " + dir + ": " + e.getMessage(), e);
    }
  }
}
