package io.fraudlake.testing;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Test helpers that drop files into landing and run bronze / silver the way the commands do. */
public final class Pipelines {
  private Pipelines() {}

  private static long nextModified = System.currentTimeMillis() - 3_600_000L;

  /**
   * Lands a file atomically. The file source reads files in modification-time order, and files
   * written in the same millisecond would come in any order, so each landed file gets a later time.
   */
  public static void land(Lakehouse lakehouse, String name, List<String> lines) {
    land(lakehouse, name, (String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
  }

  /** Lands a file of exactly these bytes: line ends, encodings and all, as a producer wrote them. */
  public static synchronized void land(Lakehouse lakehouse, String name, byte[] bytes) {
    try {
      Path landing = lakehouse.config().landingDir();
      Files.createDirectories(landing);
      Path temp = landing.resolve("." + name + ".tmp");
      Files.write(temp, bytes);
      nextModified += 1_000;
      Files.setLastModifiedTime(temp, java.nio.file.attribute.FileTime.fromMillis(nextModified));
      Files.move(temp, landing.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void landResource(Lakehouse lakehouse, String resource) {
    try {
      Path source = Path.of(Pipelines.class.getResource(resource).toURI());
      land(lakehouse, source.getFileName().toString(), Files.readAllLines(source));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static BronzeStats bronzeOnce(Lakehouse lakehouse) {
    return new BronzeJob(lakehouse).runAvailableNow();
  }

  public static SilverStats silverOnce(Lakehouse lakehouse) {
    SilverJob job = new SilverJob(lakehouse);
    SilverStats stats = job.runAvailableNow();
    stats.setWaiting(job.pendingCount());
    return stats;
  }
}
