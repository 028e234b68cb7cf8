package io.fraudlake.scoring;

import io.fraudlake.spark.Lakehouse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The model a scoring job uses, loaded once and swapped only at batch boundaries. Every
 * {@code checkInterval} it asks its {@link ModelSource} whether the alias moved; a new version is
 * loaded and used from the next batch on. While the source is unreachable the model in hand keeps
 * scoring and one warning is logged per outage (not one per batch).
 */
public final class ProductionModel {
  private static final Logger LOG = LogManager.getLogger(ProductionModel.class);

  private final ModelSource source;
  private final Duration checkInterval;
  private final Clock clock;
  private volatile ScoringModel current;
  private Instant lastCheck;
  private boolean sourceDown;
  private int outagesReported;

  private ProductionModel(ModelSource source, Duration checkInterval, Clock clock, ScoringModel first) {
    this.source = source;
    this.checkInterval = checkInterval;
    this.clock = clock;
    this.current = first;
    this.lastCheck = clock.instant();
  }

  /**
   * Loads the current version. A source that is down at start is an error: there is no model to
   * score with, and writing rows without a score is not an option.
   */
  public static ProductionModel load(ModelSource source, Duration checkInterval) {
    return load(source, checkInterval, Clock.systemUTC());
  }

  static ProductionModel load(ModelSource source, Duration checkInterval, Clock clock) {
    ScoringModel first;
    try {
      first = source.load(source.currentVersion());
    } catch (ModelSourceUnavailableException e) {
      throw new ModelSourceUnavailableException("cannot load the model " + source.describe() + ": " + e.getMessage(), e);
    }
    LOG.info("scoring with {} from {}", first.label(), first.origin());
    return new ProductionModel(source, checkInterval, clock, first);
  }

  /** The model in hand, without asking the source. */
  public ScoringModel current() {
    return current;
  }

  public String describe() {
    return source.describe();
  }

  /**
   * The model for the next batch: the one in hand, or a newly loaded one when the check interval
   * has passed and the source now designates another version.
   */
  public synchronized ScoringModel forNextBatch() {
    Instant now = clock.instant();
    if (Duration.between(lastCheck, now).compareTo(checkInterval) >= 0) {
      lastCheck = now;
      checkForNewVersion();
    }
    return current;
  }

  /** How many times the source was found unreachable after being reachable (one warning each). */
  public synchronized int outagesReported() {
    return outagesReported;
  }

  /** Asks the source now; returns true when a new version was loaded. */
  public synchronized boolean checkForNewVersion() {
    try {
      String version = source.currentVersion();
      if (sourceDown) {
        LOG.info("model source {} reachable again", source.describe());
        sourceDown = false;
      }
      if (version.equals(current.version())) {
        return false;
      }
      ScoringModel next = source.load(version);
      LOG.info("{} moved: scoring with {} from the next batch on (was {})", source.describe(), next.label(), current.label());
      current = next;
      return true;
    } catch (ModelSourceUnavailableException e) {
      if (!sourceDown) {
        LOG.warn("model source {} unreachable ({}); still scoring with {} and checking again every {}s",
            source.describe(), Lakehouse.rootMessage(e), current.label(), checkInterval.toSeconds());
        sourceDown = true;
        outagesReported++;
      }
      return false;
    }
  }
}
