package io.fraudlake.testing;

import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.Lakehouse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Test helpers that drop files into landing and run bronze / silver the way the commands do. */
public final class Pipelines {
  private Pipelines() {}

  public static void land(Lakehouse lakehouse, String name, List<String> lines) {
    try {
      Path landing = lakehouse.config().landingDir();
      Files.createDirectories(landing);
      Path temp = landing.resolve("." + name + ".tmp");
      Files.write(temp, lines);
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
