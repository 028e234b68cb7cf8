package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which stream feeds a table. Bronze is fed from landing by either the {@code bronze} stream or the
 * live pipeline {@code run}, and silver by either the {@code silver} stream or {@code run}, never by
 * both: each keeps what it has read, and silver's keyed state (events waiting for the watermark,
 * windows, IDs), in its own checkpoint, so a second feeder would read landing or compute silver
 * again. The first stream to start records itself; another then refuses to start, with one line
 * saying how to switch.
 */
public final class Feeders {
  private Feeders() {}

  /** Records {@code query} as the feeder of {@code table}, or fails if another query is. */
  public static void claim(Lakehouse lakehouse, String table, String query) {
    Path file = lakehouse.checkpoint(table + ".feeder");
    try {
      if (Files.isRegularFile(file)) {
        String owner = Files.readString(file).trim();
        if (!owner.equals(query)) {
          throw new FraudLakeException(table + " is fed by the `" + owner + "` stream, whose checkpoint "
              + lakehouse.checkpoint(owner) + " holds what it has read; `" + query + "` cannot take over from it. Keep using `"
              + owner + "`, or switch on a new --home (or delete that checkpoint, " + file + " and silver)");
        }
        return;
      }
      Files.createDirectories(file.getParent());
      Files.writeString(file, query + System.lineSeparator());
    } catch (IOException e) {
      throw new FraudLakeException("cannot read or record the feeder of " + table + " in " + file + ": " + e.getMessage(), e);
    }
  }
}
