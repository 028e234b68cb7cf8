package io.fraudlake.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.registry.ModelRegistries;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.RunStatus;
import io.fraudlake.registry.testing.InProcessMlflowServer;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

/** Scoring against a real MLflow REST registry (the strict in-process fake server). */
class RegistryScoringTest {
  private static final String NAME = "fraud_isolation_forest";

  /** Logs a saved pipeline as an MLflow model directory and registers it as the next version. */
  private static long register(ModelRegistry registry, Path work, long seed) throws IOException {
    Path dir = work.resolve("model-" + seed);
    ScoringFixtures.saveModel(SharedSpark.session(), dir.resolve("sparkml"), seed);
    StringJoiner inputs = new StringJoiner(", ", "[", "]");
    for (StructField f : GoldSchema.FEATURES.fields()) {
      String type = switch (f.dataType().typeName()) {
        case "integer" -> "integer";
        case "long" -> "long";
        default -> "double";
      };
      inputs.add("{\"type\": \"" + type + "\", \"name\": \"" + f.name() + "\", \"required\": true}");
    }
    Files.writeString(dir.resolve("MLmodel"), "artifact_path: model\nflavors:\n  spark:\n    model_data: sparkml\n"
        + "    pyspark_version: 4.1.0\nsignature:\n  inputs: '" + inputs + "'\n  outputs: null\n");
    String experiment = registry.getOrCreateExperiment("fraud-detection");
    String run = registry.startRun(experiment, "seed-" + seed, Map.of());
    registry.logArtifacts(run, dir, "model");
    registry.endRun(run, RunStatus.FINISHED);
    registry.createRegisteredModel(NAME);
    return registry.createModelVersion(NAME, run, "model").version();
  }

  @Test
  void aliasMovesThenRegistryGoesDownWhileScoring() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig(Map.of("scoring.max-files-per-trigger", "1"));
    Lakehouse lakehouse = SharedSpark.lakehouse(config);
    ScoringFixtures.appendSilverCommits(lakehouse, "reg", 4, 10, ScoringFixtures.start());
    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      ModelRegistry registry = ModelRegistries.fromEnvironment(config, Map.of(ModelRegistries.TRACKING_URI, server.url()));
      Path work = SharedSpark.tempDir("mlflow-models");
      long v1 = register(registry, work, 1);
      long v2 = register(registry, work, 2);
      registry.setAlias(NAME, "prod", v1);

      RegistryModelSource real = new RegistryModelSource(new ModelStore(registry, ModelSources.cacheDir(config)),
          ModelUri.parse("models:/" + NAME + "@prod"));
      AtomicInteger asked = new AtomicInteger();
      // Asked at load, then before each batch: the alias moves before batch 1, the server dies before batch 2.
      ModelSource source = new ModelSource() {
        @Override
        public String describe() {
          return real.describe();
        }

        @Override
        public String currentVersion() {
          int n = asked.getAndIncrement();
          if (n == 2) {
            registry.setAlias(NAME, "prod", v2);
          } else if (n == 3) {
            server.close();
          }
          return real.currentVersion();
        }

        @Override
        public ScoringModel load(String version) {
          return real.load(version);
        }
      };
      ProductionModel model = ProductionModel.load(source, Duration.ZERO);
      ScoringStatus status = ScoringStatus.silent();
      ScoringStream.await(new ScoringStream(lakehouse, model, status).start(true), status);

      List<String> versions = lakehouse.read(Tables.BATCH_METRICS).orderBy("batch_id")
          .select("model_version").collectAsList().stream().map(r -> r.getString(0)).toList();
      assertEquals(List.of("1", "2", "2", "2"), versions);
      assertEquals(40, lakehouse.read(Tables.GOLD).count());
      assertEquals(30, lakehouse.read(Tables.GOLD).where("model_version = '2'").count(), "later rows, new version");
      assertEquals(10, lakehouse.read(Tables.GOLD).where("model_version = '1'").count(), "earlier rows keep theirs");
      assertEquals(0, lakehouse.read(Tables.GOLD).where("fraud_score IS NULL").count());
      assertEquals(1, model.outagesReported());
      Row first = lakehouse.read(Tables.GOLD).where("model_version = '1'").first();
      assertEquals(NAME, first.getAs("model_name"));
    }
  }

  @Test
  void registryDownAtStartIsAClearError() {
    FraudLakeConfig config = SharedSpark.freshConfig();
    InProcessMlflowServer server = InProcessMlflowServer.start(null);
    String url = server.url();
    server.close();
    ModelSource source = ModelSources.choose(config, null, null, Map.of(ModelRegistries.TRACKING_URI, url));

    FraudLakeException e = assertThrows(FraudLakeException.class, () -> ProductionModel.load(source, Duration.ZERO));

    assertTrue(e.getMessage().startsWith("cannot load the model models:/" + NAME + "@prod ("), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }

  /**
   * The registry fails in the middle of a model download: at start the job refuses with one line;
   * during a hot reload the model in hand keeps scoring and the new version is loaded once the
   * registry is back. No half-downloaded version is ever cached or used.
   */
  @Test
  void aRegistryFailingMidDownloadNeverYieldsAHalfModel() throws Exception {
    FraudLakeConfig config = SharedSpark.freshConfig();
    try (InProcessMlflowServer server = InProcessMlflowServer.start(null)) {
      Map<String, String> env = Map.of(ModelRegistries.TRACKING_URI, server.url());
      ModelRegistry registry = ModelRegistries.fromEnvironment(config, env);
      Path work = SharedSpark.tempDir("mlflow-models");
      long v1 = register(registry, work, 1);
      long v2 = register(registry, work, 2);
      registry.setAlias(NAME, "prod", v1);

      server.failDownloadsAfter(2, 0);
      FraudLakeException atStart = assertThrows(ModelSourceUnavailableException.class,
          () -> ProductionModel.load(ModelSources.choose(config, null, null, env), Duration.ZERO));
      assertTrue(atStart.getMessage().startsWith("cannot load the model models:/" + NAME + "@prod (MLflow server at "
          + server.url() + "): cannot download models:/" + NAME + "/1 from MLflow server at " + server.url()), atStart.getMessage());
      assertTrue(!atStart.getMessage().contains("\n"), "one line: " + atStart.getMessage());
      server.heal();

      ProductionModel model = ProductionModel.load(ModelSources.choose(config, null, null, env), Duration.ZERO);
      assertEquals("1", model.current().version());
      registry.setAlias(NAME, "prod", v2);
      server.failDownloadsAfter(3, 503);
      assertTrue(!model.checkForNewVersion(), "the new version could not be loaded");
      assertEquals("1", model.current().version(), "still scoring with the model in hand");
      assertEquals(1, model.outagesReported());
      Path cachedV2 = new ModelStore(registry, ModelSources.cacheDir(config)).registryFolder().resolve(NAME).resolve("2");
      assertTrue(!Files.exists(cachedV2), "nothing of version 2 cached");

      server.heal();
      assertTrue(model.checkForNewVersion());
      assertEquals("2", model.current().version());
      assertTrue(Files.isRegularFile(cachedV2.resolve(ModelCache.MANIFEST)));
    }
  }
}
