package io.fraudlake.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FraudLakeConfigTest {
  @TempDir Path dir;

  @Test
  void fileOverridesReferenceAndCommandLineOverridesFile() throws IOException {
    Path file = dir.resolve("my.conf");
    Files.writeString(file, "fraudlake { model.trees = 50, features.lateness = 30 seconds }");

    FraudLakeConfig config = FraudLakeConfig.load(file, dir.resolve("home"), Map.of("model.trees", "7"));

    assertEquals(7, config.integer("model.trees"), "--set beats the file");
    assertEquals(Duration.ofSeconds(30), config.duration("features.lateness"), "the file beats the reference");
    assertEquals(0.035, config.decimal("model.contamination"), "the reference fills the rest");
    assertEquals(dir.resolve("home").resolve("landing"), config.landingDir());
  }

  @Test
  void overridesKeepTheirTypesAndAcceptTheFullyQualifiedKey() {
    FraudLakeConfig config = FraudLakeConfig.defaults(dir, Map.of(
        "fraudlake.model.bootstrap", "true",
        "scoring.trigger", "5 seconds",
        "spark.conf.\"spark.sql.ansi.enabled\"", "true"));

    assertTrue(config.flag("model.bootstrap"));
    assertEquals(Duration.ofSeconds(5), config.duration("scoring.trigger"));
    assertEquals("true", config.stringMap("spark.conf").get("spark.sql.ansi.enabled"));
  }

  @Test
  void aMissingFileAndAWronglyTypedValueAreOneLineErrorsNamingThem() throws IOException {
    FraudLakeException missing = assertThrows(FraudLakeException.class,
        () -> FraudLakeConfig.load(dir.resolve("nope.conf"), dir, Map.of()));
    assertTrue(missing.getMessage().contains("nope.conf"), missing.getMessage());

    Path file = dir.resolve("bad.conf");
    Files.writeString(file, "fraudlake.model.trees = many");
    FraudLakeException badType = assertThrows(FraudLakeException.class, () -> FraudLakeConfig.load(file, dir, Map.of()));
    assertTrue(badType.getMessage().contains("model.trees"), badType.getMessage());
    assertFalse(badType.getMessage().contains("\n"), "one line: " + badType.getMessage());
  }

  @Test
  void theShippedConfigurationFilesAreValid() {
    Path projectDir = Path.of(System.getProperty("fraudlake.project.dir", "..")).toAbsolutePath();
    for (String name : new String[] {"local.conf", "databricks.conf", "cluster.conf"}) {
      FraudLakeConfig config = FraudLakeConfig.load(projectDir.resolve("conf").resolve(name), dir, Map.of());
      assertEquals("fraud_isolation_forest", config.string("model.name"), name);
    }
  }

  @Test
  void onlyTheLaptopConfigurationReplacesHadoopsFileSystems() {
    Path projectDir = Path.of(System.getProperty("fraudlake.project.dir", "..")).toAbsolutePath();
    FraudLakeConfig local = FraudLakeConfig.load(projectDir.resolve("conf/local.conf"), dir, Map.of());
    assertTrue(local.stringMap("spark.conf").containsKey("spark.hadoop.fs.file.impl"));
    for (String name : new String[] {"cluster.conf", "databricks.conf"}) {
      FraudLakeConfig shared = FraudLakeConfig.load(projectDir.resolve("conf").resolve(name), dir, Map.of());
      assertTrue(shared.stringMap("spark.conf").keySet().stream().noneMatch(k -> k.startsWith("spark.hadoop.fs.")),
          name + " keeps the cluster's own file systems: " + shared.stringMap("spark.conf"));
    }
    assertTrue(FraudLakeConfig.defaults(dir).stringMap("spark.conf").isEmpty(),
        "the jar's defaults, used without --conf outside ./fraudlake, change nothing of Spark's");
  }
}
