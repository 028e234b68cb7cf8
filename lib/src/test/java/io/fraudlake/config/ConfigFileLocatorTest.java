package io.fraudlake.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileLocatorTest {
  @TempDir Path dir;

  @Test
  void aRelativePathIsResolvedAgainstTheWorkingFolderAndAnAbsoluteOneIsTakenAsItIs() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path relative = write(work.resolve("conf/mine.conf"));
    Path elsewhere = write(dir.resolve("elsewhere/abs.conf"));
    ConfigFileLocator locator = ConfigFileLocator.of(work, Map.of());

    assertEquals(relative, locator.locate(Path.of("conf/mine.conf")));
    assertEquals(elsewhere, locator.locate(elsewhere));
  }

  @Test
  void aFileShippedWithFilesIsFoundByItsNameAtItsSubmittedPathOrInTheWorkingFolder() throws IOException {
    Path work = Files.createDirectories(dir.resolve("driver-work"));
    Path shipped = write(dir.resolve("submitter/cluster.conf"));
    String spark = "file:" + dir.resolve("other/a.jar") + "," + shipped.toUri() + ",hdfs://nn/conf/remote.conf";

    ConfigFileLocator clientMode = ConfigFileLocator.of(work, Map.of("spark.files", spark));
    assertEquals(shipped, clientMode.locate(Path.of("cluster.conf")), "spark-submit's spark.files, client mode");

    Path localized = write(work.resolve("remote.conf"));
    assertEquals(localized, clientMode.locate(Path.of("remote.conf")),
        "a remote file is where the cluster manager put it: the driver's working folder");
  }

  @Test
  void aMissingFileIsOneLineNamingEveryPlaceLookedAt() {
    Path work = dir.resolve("work");
    ConfigFileLocator locator = ConfigFileLocator.of(work, Map.of("spark.files", "file:/opt/jobs/x/prod.conf"));

    FraudLakeException e = assertThrows(FraudLakeException.class, () -> locator.locate(Path.of("conf/prod.conf")));

    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().startsWith("configuration file not found: conf/prod.conf"), e.getMessage());
    assertTrue(e.getMessage().contains(work.resolve("conf/prod.conf").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("/opt/jobs/x/prod.conf"), e.getMessage());
    assertTrue(e.getMessage().contains(work.resolve("prod.conf").toString()), e.getMessage());
  }

  private static Path write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "fraudlake {}");
    return file;
  }
}
