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

/** Everything logged while it is open, at every level, including MLflow client's debug output. */
final class CapturedLogs implements AutoCloseable {
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
  private final AbstractAppender appender;
  private final Level previousRoot;

  CapturedLogs() {
    appender = new AbstractAppender("captured-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
            .append(event.getMessage().getFormattedMessage());
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
          line.append(" | ").append(t);
        }
        lines.add(line.toString());
      }
    };
    appender.start();
    previousRoot = context.getConfiguration().getRootLogger().getLevel();
    context.getConfiguration().getRootLogger().addAppender(appender, Level.ALL, null);
    context.getConfiguration().getRootLogger().setLevel(Level.ALL);
    context.getConfiguration().getLoggerConfig("io.fraudlake").setLevel(Level.ALL);
    context.updateLoggers();
  }

  List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  String all() {
    return String.join("\n", lines());
  }

  @Override
  public void close() {
    context.getConfiguration().getRootLogger().removeAppender(appender.getName());
    context.getConfiguration().getRootLogger().setLevel(previousRoot);
    context.getConfiguration().getLoggerConfig("io.fraudlake").setLevel(Level.INFO);
    context.updateLoggers();
    appender.stop();
  }
}
