package io.fraudlake.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.function.Supplier;

/**
 * The service's Prometheus metrics, in a registry of its own (so two services in one JVM, as in the
 * tests, do not share counters). Latency buckets are fine below 10 ms, where an authorization-path
 * service lives; score buckets are fine around the usual thresholds (0.5–0.7).
 */
public final class ServeMetrics {
  private static final double[] LATENCY_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25, 0.5, 1, 2.5};
  private static final double[] SCORE_BUCKETS = {0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter requests;
  private final Histogram latency;
  private final Counter predictions;
  private final Histogram scores;
  private final Gauge modelInfo;
  private final Counter reloads;
  private final Counter duplicates;
  private final Counter lateEvents;
  private ServedModel shown;

  public ServeMetrics(Supplier<CardWindows.Size> stateSize) {
    requests = Counter.builder().name("fraudlake_serve_requests_total")
        .help("HTTP requests answered, by endpoint and status code").labelNames("endpoint", "status").register(registry);
    latency = Histogram.builder().name("fraudlake_serve_request_duration_seconds")
        .help("Server-side time from request to response, by endpoint and status code")
        .labelNames("endpoint", "status").classicOnly().classicUpperBounds(LATENCY_BUCKETS).register(registry);
    predictions = Counter.builder().name("fraudlake_serve_predictions_total")
        .help("Transactions or vectors scored, by endpoint and outcome (anomaly or normal)")
        .labelNames("endpoint", "outcome").register(registry);
    scores = Histogram.builder().name("fraudlake_serve_fraud_score").help("Distribution of fraud_score answered")
        .classicOnly().classicUpperBounds(SCORE_BUCKETS).register(registry);
    modelInfo = Gauge.builder().name("fraudlake_serve_model_info")
        .help("1 for the model version being served").labelNames("model_name", "model_version").register(registry);
    reloads = Counter.builder().name("fraudlake_serve_model_reloads_total")
        .help("Times a new model version was swapped in after start").register(registry);
    duplicates = Counter.builder().name("fraudlake_serve_duplicate_transactions_total")
        .help("Re-sent TransactionIDs answered with their first answer").register(registry);
    lateEvents = Counter.builder().name("fraudlake_serve_late_transactions_total")
        .help("Transactions that arrived behind the watermark").register(registry);
    GaugeWithCallback.builder().name("fraudlake_serve_state_cards").help("Cards with events held in memory")
        .callback(cb -> cb.call(stateSize.get().cards())).register(registry);
    GaugeWithCallback.builder().name("fraudlake_serve_state_events").help("Events held in memory for the 5-minute windows")
        .callback(cb -> cb.call(stateSize.get().events())).register(registry);
    JvmMetrics.builder().register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void request(String endpoint, int status, long nanos) {
    String code = Integer.toString(status);
    requests.labelValues(endpoint, code).inc();
    latency.labelValues(endpoint, code).observe(nanos / 1e9);
  }

  public void scored(String endpoint, double score, boolean anomaly) {
    predictions.labelValues(endpoint, anomaly ? "anomaly" : "normal").inc();
    scores.observe(score);
  }

  public void duplicate() {
    duplicates.inc();
  }

  public void late() {
    lateEvents.inc();
  }

  /** Marks {@code model} as the one served (1) and forgets the previous version's series. */
  public synchronized void serving(ServedModel model) {
    if (shown != null) {
      modelInfo.remove(shown.name(), shown.version());
      reloads.inc();
    }
    modelInfo.labelValues(model.name(), model.version()).set(1);
    shown = model;
  }
}
