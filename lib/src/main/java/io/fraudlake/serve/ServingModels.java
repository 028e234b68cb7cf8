package io.fraudlake.serve;

import io.fraudlake.FraudLakeException;
import io.fraudlake.scoring.ModelSource;
import io.fraudlake.scoring.ModelSourceUnavailableException;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.spark.Lakehouse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The model the service answers with, and its hot reload. A background thread asks the source every
 * check interval whether the alias moved, loads the new version there (never on a request's
 * thread), and swaps it in with one volatile write: a request reads {@link #current()} once and
 * finishes on that version, the next request gets the new one. A version that cannot be served
 * online is refused once, with the reason logged, and the one in hand keeps answering.
 */
public final class ServingModels implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(ServingModels.class);

  private final ModelSource source;
  private final ProductionModel production;
  private final Clock clock;
  private final Consumer<ServedModel> onSwap;
  private final ScheduledExecutorService checker;
  private volatile ServedModel current;
  private String refusedVersion;

  private ServingModels(ModelSource source, ProductionModel production, Clock clock, Consumer<ServedModel> onSwap,
      ServedModel first) {
    this.source = source;
    this.production = production;
    this.clock = clock;
    this.onSwap = onSwap;
    this.current = first;
    this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "fraudlake-serve-model-check");
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Loads the source's current version and checks for a new one every {@code checkInterval}. A model
   * that cannot be loaded or served online is an error at start: there is nothing to answer with.
   */
  public static ServingModels start(ModelSource source, Duration checkInterval, Consumer<ServedModel> onSwap) {
    Clock clock = Clock.systemUTC();
    ProductionModel production = ProductionModel.load(source, checkInterval);
    ServingModels models = new ServingModels(source, production, clock, onSwap, serve(source, production.current(), clock));
    onSwap.accept(models.current);
    long millis = Math.max(1, checkInterval.toMillis());
    models.checker.scheduleWithFixedDelay(models::checkNow, millis, millis, TimeUnit.MILLISECONDS);
    return models;
  }

  public ServedModel current() {
    return current;
  }

  public String describe() {
    return source.describe();
  }

  /** Asks the source now and swaps in a new version if there is one; true when it did. */
  public synchronized boolean checkNow() {
    try {
      production.checkForNewVersion();
      ScoringModel latest = production.current();
      if (latest == current.model() || latest.version().equals(refusedVersion)) {
        return false;
      }
      ServedModel next = serve(source, latest, clock);
      LOG.info("{} moved: answering with {} from the next request on (was {})", source.describe(), latest.label(),
          current.model().label());
      current = next;
      onSwap.accept(next);
      return true;
    } catch (FraudLakeException e) {
      refusedVersion = production.current().version();
      LOG.error("cannot serve {}: {}; still answering with {}", production.current().label(), e.getMessage(),
          current.model().label());
      return false;
    } catch (RuntimeException e) {
      // The checker thread must outlive any one failed check.
      LOG.error("model check failed: {}; still answering with {}", Lakehouse.rootMessage(e), current.model().label());
      return false;
    }
  }

  private static ServedModel serve(ModelSource source, ScoringModel model, Clock clock) {
    java.util.Optional<io.fraudlake.scoring.RegistryRecord> record;
    try {
      record = source.registryRecord(model.version());
    } catch (ModelSourceUnavailableException e) {
      LOG.warn("registry details of {} unavailable ({}); /model_information shows the model alone", model.label(),
          e.getMessage());
      record = java.util.Optional.empty();
    }
    return ServedModel.of(model, record, clock.instant());
  }

  @Override
  public void close() {
    checker.shutdownNow();
  }
}
