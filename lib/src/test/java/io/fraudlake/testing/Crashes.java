package io.fraudlake.testing;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.ProcessRestart;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What a process killed in the middle of a micro-batch leaves behind, made on purpose on real
 * checkpoints and tables: Spark's commit of the batch not written (so the next start replays it with
 * the offsets, batch time and state version it logged), and a Delta commit of that batch not landed.
 * Each call also forgets what this JVM knows of earlier commits, as a new process would.
 */
public final class Crashes {
  private Crashes() {}

  /** Deletes the stream's newest batch commit; returns that batch's id. */
  public static long uncommitLastBatch(Path checkpoint) {
    Path newest = newestNumbered(checkpoint.resolve("commits"), "");
    delete(newest);
    ProcessRestart.forgetEverythingCommitted();
    return Long.parseLong(newest.getFileName().toString());
  }

  /**
   * Deletes Spark's commits of micro-batch {@code batchId} and after, and the offsets logged after
   * it, as if the process had died in {@code batchId}: the next start replays it.
   */
  public static void replayFrom(Path checkpoint, long batchId) {
    deleteNumberedFrom(checkpoint.resolve("commits"), batchId);
    deleteNumberedFrom(checkpoint.resolve("offsets"), batchId + 1);
    ProcessRestart.forgetEverythingCommitted();
  }

  /** The micro-batch whose append is the newest commit of the table, from its tag. */
  public static long newestTaggedBatch(Lakehouse lakehouse, String table) {
    String tag = lakehouse.deltaTable(table).history(1).select("userMetadata").first().getString(0);
    if (tag == null) {
      throw new IllegalStateException("the newest commit of " + table + " carries no batch tag");
    }
    return Long.parseLong(tag.substring(tag.lastIndexOf(' ') + 1));
  }

  /** Deletes the newest commit of a Delta table (path mode), as if its write had died before landing. */
  public static void dropLastDeltaCommit(Lakehouse lakehouse, String table) {
    Path log = lakehouse.path(table).resolve("_delta_log");
    Path newest = newestNumbered(log, ".json");
    String version = newest.getFileName().toString().replace(".json", "");
    if (Files.exists(log.resolve(version + ".checkpoint.parquet"))) {
      throw new IllegalStateException("the newest commit of " + table + " is checkpointed; cannot drop it");
    }
    delete(newest);
    delete(log.resolve(version + ".crc"));
    ProcessRestart.forgetEverythingCommitted();
  }

  /** Deletes a checkpoint (or any folder) with everything in it. */
  public static void deleteFolder(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteNumberedFrom(Path dir, long first) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().matches("\\d+")
          && Long.parseLong(f.getFileName().toString()) >= first).toList()) {
        delete(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path newestNumbered(Path dir, String suffix) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("\\d+" + java.util.regex.Pattern.quote(suffix)))
          .max(Comparator.comparingLong(f -> Long.parseLong(f.getFileName().toString().replace(suffix, ""))))
          .orElseThrow(() -> new IllegalStateException("nothing numbered in " + dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
      Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
