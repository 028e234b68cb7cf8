package io.fraudlake.silver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * A {@code silver} stream whose checkpoint keeps each card's window context as a list state named
 * "recent" (one row per event, as checkpoints written before {@link WindowContext} do) goes on where
 * it stopped: every card's context is read once and kept as the binary value from then on, and silver
 * stays equal to {@code silver --batch} over the same bronze.
 *
 * <p>The fixture {@code upgrade/silver-context-as-list.zip} is the lakehouse home (tables and
 * checkpoints, landing emptied) that {@link SilverReplayTest}'s first run leaves with the list state:
 * 40 events one second apart on 3 cards, 37 in silver, 3 waiting. Every later event's 5-minute
 * window reaches back to those events, so a context lost in the upgrade changes every count, mean
 * and deviation after it.
 */
class SilverStateUpgradeTest {
  /** The home the fixture was written in. */
  private static final String FIXTURE_HOME = "/tmp/fraudlake-home-4286825516582676040";

  @Test
  void aCheckpointWithTheContextAsAListGoesOnWithTheSameFeatures() throws IOException {
    Path home = unpackFixture();
    Lakehouse lakehouse = SharedSpark.lakehouse(FraudLakeConfig.defaults(home, Map.of("features.lateness", "2 seconds")));
    Path checkpoint = SilverJob.checkpoint(lakehouse);
    assertEquals(37, lakehouse.read(Tables.SILVER).count());
    assertTrue(SilverState.rows(lakehouse.spark(), checkpoint, "recent") > 0, "the fixture keeps its context as a list");

    SilverReplayTest.assertTheStreamGoesOn(lakehouse);

    assertEquals(0, SilverState.rows(lakehouse.spark(), checkpoint, "recent"), "every card's list was moved to the binary value");
    assertEquals(3, SilverState.rows(lakehouse.spark(), checkpoint, "context"));
  }

  private static Path unpackFixture() throws IOException {
    Path home = SharedSpark.tempDir("upgrade");
    try (InputStream in = SilverStateUpgradeTest.class.getResourceAsStream("/upgrade/silver-context-as-list.zip");
        ZipInputStream zip = new ZipInputStream(in)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        Path target = home.resolve(entry.getName()).normalize();
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(zip, target);
        }
      }
    }
    try (Stream<Path> files = Files.walk(home.resolve("checkpoints"))) {
      // Spark's state metadata and the file source's log name files by absolute path.
      for (Path metadata : files.filter(p -> p.toString().matches(".*/(_metadata|sources)/.*") && Files.isRegularFile(p)).toList()) {
        String text = Files.readString(metadata, StandardCharsets.UTF_8);
        Files.writeString(metadata, text.replace(FIXTURE_HOME, home.toString()), StandardCharsets.UTF_8);
      }
    }
    return home;
  }
}
