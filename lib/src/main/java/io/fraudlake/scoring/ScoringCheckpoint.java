package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Timestamp;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The checkpoint folder of one scoring query, plus the {@link GoldHorizon} FraudLake keeps beside
 * Spark's files in it (so deleting the checkpoint deletes both).
 */
public final class ScoringCheckpoint {
  private static final String HORIZON_FILE = "fraudlake-gold-horizon.properties";

  private final Path dir;

  public ScoringCheckpoint(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /**
   * True when Spark will start this query from the beginning of its source: it has not logged the
   * offsets of any batch yet. A batch whose offsets are logged is replayed, never re-planned.
   */
  public boolean isFresh() {
    Path offsets = dir.resolve("offsets");
    if (!Files.isDirectory(offsets)) {
      return true;
    }
    try (Stream<Path> files = Files.list(offsets)) {
      return files.map(p -> p.getFileName().toString()).noneMatch(name -> name.chars().allMatch(Character::isDigit));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The query id Spark keeps in the checkpoint's {@code metadata} file, once the query has started. */
  public Optional<String> queryId() {
    Path file = dir.resolve("metadata");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(file));
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (IOException e) {
      throw new FraudLakeException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public Optional<GoldHorizon> horizon() {
    Path file = dir.resolve(HORIZON_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new FraudLakeException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return Optional.of(new GoldHorizon(
        Long.parseLong(p.getProperty("gold.version")),
        Long.parseLong(p.getProperty("gold.rows")),
        timestamp(p.getProperty("gold.min-event-time")),
        timestamp(p.getProperty("gold.max-event-time"))));
  }

  /** Records the horizon, or removes it when gold was empty; written atomically. */
  public void setHorizon(Optional<GoldHorizon> horizon) {
    Path file = dir.resolve(HORIZON_FILE);
    try {
      if (horizon.isEmpty()) {
        Files.deleteIfExists(file);
        return;
      }
      Files.createDirectories(dir);
      GoldHorizon h = horizon.get();
      Properties p = new Properties();
      p.setProperty("gold.version", Long.toString(h.goldVersion()));
      p.setProperty("gold.rows", Long.toString(h.rows()));
      p.setProperty("gold.min-event-time", h.minEventTime() == null ? "" : Long.toString(h.minEventTime().getTime()));
      p.setProperty("gold.max-event-time", h.maxEventTime() == null ? "" : Long.toString(h.maxEventTime().getTime() + 1));
      // Milliseconds, the upper bound rounded up: event times may carry microseconds and the range
      // must never shrink, or an old transaction would look new.
      Path tmp = dir.resolve(HORIZON_FILE + ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        p.store(out, "gold rows that existed before this checkpoint; the query skips their transactions");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new FraudLakeException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the folder: the next start reads its source from the beginning. */
  public void delete() {
    Folders.deleteRecursively(dir);
  }

  private static Timestamp timestamp(String millis) {
    return millis == null || millis.isEmpty() ? null : new Timestamp(Long.parseLong(millis));
  }
}
