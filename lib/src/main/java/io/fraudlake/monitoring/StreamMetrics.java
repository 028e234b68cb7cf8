package io.fraudlake.monitoring;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.BatchDrift;
import io.fraudlake.scoring.BatchListener;
import io.fraudlake.scoring.BatchMetrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A scoring stream's Prometheus endpoint: {@code GET /metrics} in the text format, with what every
 * batch reports ({@link BatchListener}) and the JVM's own metrics. Every series has the label
 * {@code query}, the stream's name ({@code score} or {@code run}).
 *
 * <p>Each instance has a registry of its own rather than Prometheus' process-wide default, so two
 * streams (or two tests) in one JVM never share or clash over a series.
 */
public final class StreamMetrics implements BatchListener, AutoCloseable {
  public static final String PORT_KEY = "monitoring.metrics-port";
  public static final String HOST_KEY = "monitoring.metrics-host";
  static final String PATH = "/metrics";

  /**
   * Upper bounds of the batch-duration buckets, in seconds: a micro-batch of {@code run} takes a few
   * hundred milliseconds, a {@code score} batch catching up on a backlog of silver files minutes.
   */
  private static final double[] DURATION_BOUNDS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

  private final String query;
  private final String host;
  private final Counter rows;
  private final Counter alerts;
  private final Counter batches;
  private final Gauge batchRows;
  private final Gauge alertRate;
  private final Gauge lag;
  private final Histogram batchDuration;
  private final Gauge modelInfo;
  private final Gauge featurePsi;
  private final HTTPServer server;
  /** The labels {@link #modelInfo} is set for now: query, model name, version. */
  private List<String> modelLabels;
  private List<String> psiFeatures = List.of();

  private StreamMetrics(String query, String host, int port) {
    this.query = query;
    this.host = host;
    PrometheusRegistry registry = new PrometheusRegistry();
    rows = Counter.builder().name("fraudlake_stream_rows_total").help("Rows scored into gold")
        .labelNames("query").register(registry);
    alerts = Counter.builder().name("fraudlake_stream_alerts_total").help("Scored rows flagged as anomalies (is_anomaly)")
        .labelNames("query").register(registry);
    batches = Counter.builder().name("fraudlake_stream_batches_total").help("Scoring batches done")
        .labelNames("query").register(registry);
    batchRows = Gauge.builder().name("fraudlake_stream_batch_rows").help("Rows scored in the last batch")
        .labelNames("query").register(registry);
    alertRate = Gauge.builder().name("fraudlake_stream_alert_rate").help("Share of the last batch's rows flagged as anomalies")
        .labelNames("query").register(registry);
    lag = Gauge.builder().name("fraudlake_stream_lag_seconds")
        .help("Seconds between the newest event of the last batch with events and the moment it was scored")
        .labelNames("query").register(registry);
    batchDuration = Histogram.builder().name("fraudlake_stream_batch_duration_seconds")
        .help("Time from a batch's start until its gold rows and metrics were committed")
        .labelNames("query").classicOnly().classicUpperBounds(DURATION_BOUNDS).register(registry);
    modelInfo = Gauge.builder().name("fraudlake_stream_model_info").help("The model version scoring now (always 1)")
        .labelNames("query", "model_name", "model_version").register(registry);
    featurePsi = Gauge.builder().name("fraudlake_stream_feature_psi")
        .help("PSI of each feature against the model's training data, in the last batch whose drift was measured")
        .labelNames("query", "feature").register(registry);
    // Counters show 0 from the first scrape, so a rate() over a fresh process has a starting point;
    // the gauges stay absent until a batch gives them a value, as 0 would be a wrong one.
    rows.initLabelValues(query);
    alerts.initLabelValues(query);
    batches.initLabelValues(query);
    batchDuration.initLabelValues(query);
    JvmMetrics.builder().register(registry);
    this.server = startServer(registry, host, port);
  }

  /**
   * Serves the endpoint on {@code host}:{@code port} ({@code port} 0: any free port, see {@link #port()}).
   *
   * @throws FraudLakeException when the port is taken or the address cannot be bound (one line)
   */
  public static StreamMetrics serve(String query, String host, int port) {
    if (port < 0 || port > 65_535) {
      throw new FraudLakeException("metrics port must be between 0 and 65535, not " + port);
    }
    return new StreamMetrics(query, host, port);
  }

  /**
   * The endpoint {@value #PORT_KEY} asks for, on {@value #HOST_KEY}; empty when the port is 0 (off).
   */
  public static Optional<StreamMetrics> fromConfig(FraudLakeConfig config, String query) {
    int port = config.integer(PORT_KEY);
    if (port == 0) {
      return Optional.empty();
    }
    if (port < 0 || port > 65_535) {
      throw new FraudLakeException(PORT_KEY + " (--metrics-port) must be between 1 and 65535, or 0 for no endpoint, not "
          + port);
    }
    return Optional.of(serve(query, config.string(HOST_KEY), port));
  }

  private static HTTPServer startServer(PrometheusRegistry registry, String host, int port) {
    try {
      return HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    } catch (BindException e) {
      throw new FraudLakeException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage()
          + " (is another process using port " + port + "? choose another with --metrics-port or " + PORT_KEY + ")", e);
    } catch (IOException e) {
      throw new FraudLakeException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The port the endpoint listens on (the one chosen when asked for port 0). */
  public int port() {
    return server.getPort();
  }

  /** Where to scrape, e.g. {@code http://127.0.0.1:9464/metrics}. */
  public String url() {
    String address = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + address + ":" + port() + PATH;
  }

  @Override
  public synchronized void batchDone(BatchMetrics metrics, BatchDrift drift) {
    rows.labelValues(query).inc(metrics.rows());
    alerts.labelValues(query).inc(metrics.anomalies());
    batchRows.labelValues(query).set(metrics.rows());
    alertRate.labelValues(query).set(metrics.anomalyRate());
    batchDuration.labelValues(query).observe(metrics.processingSeconds());
    // A batch without event times (all rows already in gold) says nothing about how far behind the stream is.
    Double lagSeconds = metrics.lagSeconds();
    if (lagSeconds != null) {
      lag.labelValues(query).set(lagSeconds);
    }
    showModel(metrics.modelName(), metrics.modelVersion());
    if (drift.measured()) {
      showPsi(drift);
    }
    // Counted last: a scrape that sees N batches sees everything of those N, whatever it reads them beside.
    batches.labelValues(query).inc();
  }

  /** One series for the version scoring now: the alias may move between batches. */
  private void showModel(String name, String version) {
    List<String> labels = List.of(query, name, String.valueOf(version));
    if (labels.equals(modelLabels)) {
      return;
    }
    if (modelLabels != null) {
      modelInfo.remove(modelLabels.toArray(String[]::new));
    }
    modelInfo.labelValues(labels.toArray(String[]::new)).set(1);
    modelLabels = labels;
  }

  /** The PSI of the batch's features; a feature it did not judge keeps no older value. */
  private void showPsi(BatchDrift drift) {
    for (String feature : psiFeatures) {
      if (!drift.psi().containsKey(feature)) {
        featurePsi.remove(query, feature);
      }
    }
    drift.psi().forEach((feature, psi) -> featurePsi.labelValues(query, feature).set(psi));
    psiFeatures = new ArrayList<>(drift.psi().keySet());
  }

  /** Stops serving; Prometheus sees the target down, as the stream is. */
  @Override
  public void close() {
    server.close();
  }
}
