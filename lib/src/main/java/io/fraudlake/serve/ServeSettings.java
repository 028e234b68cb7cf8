package io.fraudlake.serve;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.time.Duration;

/** The service's settings ({@code serve.*} in the configuration; --host and --port override). */
public record ServeSettings(String host, int port, int threads, int maxBodyBytes, int maxEventsPerRequest,
    Duration requestTimeout, Duration modelCheckInterval, Duration stateSweepInterval, Duration shutdownGrace,
    long windowSeconds, Duration lateness, double highValueThreshold) {

  public ServeSettings {
    if (port < 0 || port > 65_535) {
      throw new FraudLakeException("port " + port + " is not between 0 and 65535");
    }
    if (maxBodyBytes < 1 || maxEventsPerRequest < 1) {
      throw new FraudLakeException("serve.max-body-bytes and serve.max-events-per-request must be at least 1");
    }
  }

  public static ServeSettings from(FraudLakeConfig config, String host, Integer port) {
    int threads = config.integer("serve.threads");
    return new ServeSettings(
        host != null ? host : config.string("serve.host"),
        port != null ? port : config.integer("serve.port"),
        threads > 0 ? threads : Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
        config.integer("serve.max-body-bytes"),
        config.integer("serve.max-events-per-request"),
        config.duration("serve.request-timeout"),
        config.duration("serve.model-check-interval"),
        config.duration("serve.state-sweep-interval"),
        config.duration("serve.shutdown-grace"),
        config.longValue("features.window-seconds"),
        config.duration("features.lateness"),
        config.decimal("features.high-value-threshold"));
  }

  /** The same settings listening on {@code port} (0 = any free port). */
  public ServeSettings withPort(int port) {
    return new ServeSettings(host, port, threads, maxBodyBytes, maxEventsPerRequest, requestTimeout, modelCheckInterval,
        stateSweepInterval, shutdownGrace, windowSeconds, lateness, highValueThreshold);
  }
}
