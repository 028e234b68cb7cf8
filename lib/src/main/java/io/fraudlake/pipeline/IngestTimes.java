package io.fraudlake.pipeline;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Timestamp;
import java.util.stream.Stream;

/**
 * The ingest time of each live micro-batch, written before the batch writes anything. The live
 * pipeline appends the same rows to bronze and, in the same batch, computes silver from them; a
 * replay after a crash between the two must stamp its rows with the time the committed bronze rows
 * carry, or silver's {@code ingested_at} would disagree with bronze's.
 */
final class IngestTimes {
  /** Times kept for the batches before the current one; only the newest can be replayed. */
  private static final int KEEP = 2;

  private final Path dir;

  IngestTimes(Path dir) {
    this.dir = dir;
  }

  /** The batch's ingest time: the recorded one if the batch ran before, else now (recorded). */
  Timestamp of(long batchId) {
    Path file = dir.resolve(Long.toString(batchId));
    try {
      if (Files.isRegularFile(file)) {
        return new Timestamp(Long.parseLong(Files.readString(file).trim()));
      }
      Files.createDirectories(dir);
      long now = System.currentTimeMillis();
      Path tmp = dir.resolve("." + batchId + ".tmp");
      Files.writeString(tmp, Long.toString(now));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      forgetBefore(batchId - KEEP);
      return new Timestamp(now);
    } catch (IOException | NumberFormatException e) {
      throw new FraudLakeException("cannot read or record the ingest time of live batch " + batchId + " in " + file + ": "
          + e.getMessage(), e);
    }
  }

  private void forgetBefore(long batchId) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.chars().allMatch(Character::isDigit) && Long.parseLong(name) < batchId) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
