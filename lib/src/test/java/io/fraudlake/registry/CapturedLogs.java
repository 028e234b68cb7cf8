package io.fraudlake.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * What is logged while it is open, one line per event (level, logger, message): everything at every
 * level including MLflow client's debug output ({@code new CapturedLogs()}), or only FraudLake's own
 * lines at their configured levels ({@link #fraudLake()}).
 */
public final class CapturedLogs implements AutoCloseable {
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
  private final AbstractAppender appender;
  private final Level previousRoot;
  private final String loggerName;

  /** Everything, at every level: slow (Spark logs a lot at DEBUG), for tests that must see it all. */
  public CapturedLogs() {
    this(null);
  }

  private CapturedLogs(String loggerName) {
    this.loggerName = loggerName;
    appender = new AbstractAppender("captured-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        StringBuilder line = new StringBuilder(event.getLevel().name()).append(' ').append(event.getLoggerName()).append(' ')
            .append(event.getMessage().getFormattedMessage());
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
          line.append(" | ").append(t);
        }
        lines.add(line.toString());
      }
    };
    appender.start();
    previousRoot = context.getConfiguration().getRootLogger().getLevel();
    if (loggerName != null) {
      // Only what FraudLake logs at its configured level (INFO in tests); no level is changed.
      context.getConfiguration().getLoggerConfig(loggerName).addAppender(appender, Level.ALL, null);
    } else {
      context.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
      context.getConfiguration().getRootLogger().setLevel(Level.ALL);
      context.getConfiguration().getLoggerConfig("io.fraudlake").setLevel(Level.ALL);
    }
    context.updateLoggers();
  }

  /** What FraudLake's own loggers write at their configured levels, as a user would see it. */
  public static CapturedLogs fraudLake() {
    return new CapturedLogs("io.fraudlake");
  }

  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  public String all() {
    return String.join("\n", lines());
  }

  @Override
  public void close() {
    if (loggerName != null) {
      context.getConfiguration().getLoggerConfig(loggerName).removeAppender(appender.getName());
    } else {
      context.getConfiguration().getRootLogger().removeAppender(appender.getName());
      context.getConfiguration().getRootLogger().setLevel(previousRoot);
      context.getConfiguration().getLoggerConfig("io.fraudlake").setLevel(Level.INFO);
    }
    context.updateLoggers();
    appender.stop();
  }
}
