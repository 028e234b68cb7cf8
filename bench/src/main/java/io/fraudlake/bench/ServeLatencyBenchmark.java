package io.fraudlake.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Open-loop load generator of the serve_latency benchmark: single-event POSTs to an HTTP scoring
 * endpoint at fixed rates, latency measured from each request's <em>scheduled</em> send time to the
 * end of its reply, so a stalled server is charged for every request it held up (no coordinated
 * omission).
 *
 * <p>Request {@code k} of a step is due at {@code start + k / rate}. {@code --connections} threads,
 * each with one keep-alive connection ({@link HttpConnection}), take the next due request, wait for its
 * time, send it and read the reply; a request that finds every connection busy is sent late, and its
 * wait counts in its latency. A step lasts {@code --step-seconds} or {@code --step-requests} requests,
 * whichever is fewer, and is abandoned when a request is taken more than {@code --backlog-ms} after its
 * time (the server is not keeping up; the rest would only measure the queue).
 *
 * <p>Per target: an untimed warm-up ({@code --warmup-seconds} at {@code --warmup-rate}), then the rates
 * of {@code --rates} in order, each reporting achieved rate, p50/p90/p99/p99.9/max, the service time
 * (send to reply, what a closed-loop client would report), errors, and the CPU time per request of this
 * process and of the server ({@code --server-pid}, with its child processes). A step <em>keeps up</em>
 * when it was not abandoned, had no errors, achieved at least 95% of its rate and its p99 is under
 * {@code --keepup-p99-ms}; the sweep stops at the first step that does not. Reported per target: the
 * highest rate of the unbroken run of kept-up steps from the first with p99 under {@code --p99-ms} (10),
 * and the highest kept-up rate at all.
 *
 * <p>Bodies: a target whose path ends in {@code /transactions} gets raw events in the landing format
 * from {@link TransactionGenerator} (event-time order, unique TransactionIDs, the label left out), each
 * sent once over the whole run; any other target gets {@code {"features": [[8 numbers]]}}, rows of
 * {@code --features} (a CSV with a header line) in file order, cycled.
 *
 * <p>Options: --targets name=url[,name=url...] --out DIR (one {@code <name>.json} per target)
 * --rates 500,1000,... --step-seconds 10 --step-requests 100000 --connections 32 --warmup-seconds 5
 * --warmup-rate 1000 --backlog-ms 1000 --timeout-ms 5000 --pause-ms 2000 --p99-ms 10 --keepup-p99-ms 1000
 * --features FILE --work DIR (generated events) --server-pid PID --label TEXT (what the server is).
 */
public final class ServeLatencyBenchmark {
  private static final Pattern LABEL_FIELD = Pattern.compile(",\"isFraud\":[0-9]+");
  /** Latencies are recorded in microseconds, up to a minute, at three significant digits. */
  private static final long MAX_MICROS = 60_000_000L;

  private final Args args;
  private final int connections;
  private final int timeoutMs;
  private final long backlogNanos;
  private final double p99LimitMs;
  private final double keepupP99Ms;
  private final Optional<ProcessHandle> server;
  private List<byte[]> events = List.of();
  private long nextEvent;
  private List<byte[]> features = List.of();

  private ServeLatencyBenchmark(Args args) {
    this.args = args;
    this.connections = args.intValue("connections", 32);
    this.timeoutMs = args.intValue("timeout-ms", 5000);
    this.backlogNanos = Duration.ofMillis(args.intValue("backlog-ms", 1000)).toNanos();
    this.p99LimitMs = Double.parseDouble(args.string("p99-ms", "10"));
    this.keepupP99Ms = Double.parseDouble(args.string("keepup-p99-ms", "1000"));
    this.server = args.has("server-pid") ? ProcessHandle.of(Long.parseLong(args.required("server-pid"))) : Optional.empty();
  }

  /** A target: a name for the report, the URL, and the key its replies must hold. */
  private record Target(String name, URI uri, boolean transactions) {
    byte[] expected() {
      return (transactions ? "\"fraud_score\"" : "\"predictions\"").getBytes(StandardCharsets.US_ASCII);
    }
  }

  /** One thread's share of a step. */
  private static final class Share {
    final Histogram latency = new Histogram(MAX_MICROS, 3);
    final Histogram service = new Histogram(MAX_MICROS, 3);
    final Map<String, Long> errors = new TreeMap<>();
    long ok;
    long sent;
    long lastEnd;

    void error(String kind) {
      errors.merge(kind, 1L, Long::sum);
    }
  }

  public static void main(String[] argv) throws Exception {
    new ServeLatencyBenchmark(Args.parse(argv)).run();
  }

  private void run() throws Exception {
    List<Target> targets = parseTargets(args.required("targets"));
    double[] rates = Arrays.stream(args.string("rates", "500,1000,2000,5000,10000,15000,20000,30000,40000,50000").split(","))
        .mapToDouble(Double::parseDouble).toArray();
    int stepSeconds = args.intValue("step-seconds", 10);
    long stepRequests = args.longValue("step-requests", 100_000L);
    int warmupSeconds = args.intValue("warmup-seconds", 5);
    double warmupRate = Double.parseDouble(args.string("warmup-rate", "1000"));
    Path out = Path.of(args.required("out"));
    Files.createDirectories(out);

    long eventsNeeded = 0;
    for (Target t : targets) {
      if (t.transactions()) {
        eventsNeeded += stepSize(warmupRate, warmupSeconds, Long.MAX_VALUE);
        for (double r : rates) {
          eventsNeeded += stepSize(r, stepSeconds, stepRequests);
        }
      } else if (features.isEmpty()) {
        features = featureBodies(Path.of(args.required("features")));
      }
    }
    if (eventsNeeded > 0) {
      events = eventBodies(Path.of(args.required("work")), eventsNeeded);
    }

    System.out.printf(Locale.ROOT, "ServeLatencyBenchmark: %d connections, steps of %d s or %,d requests, warm-up %d s at %.0f/s, "
            + "backlog bound %d ms, timeout %d ms, %d cores, load %s, server %s%n",
        connections, stepSeconds, stepRequests, warmupSeconds, warmupRate, backlogNanos / 1_000_000, timeoutMs,
        Runtime.getRuntime().availableProcessors(), PipelineLatencyBenchmark.loadAverage(), args.string("label", "?"));
    ExecutorService pool = Executors.newFixedThreadPool(connections, r -> {
      Thread t = new Thread(r, "load");
      t.setDaemon(true);
      return t;
    });
    try {
      for (Target target : targets) {
        Map<String, Object> result = sweep(pool, target, rates, stepSeconds, stepRequests, warmupSeconds, warmupRate);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve(target.name() + ".json").toFile(), result);
        Thread.sleep(args.intValue("pause-ms", 2000));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private Map<String, Object> sweep(ExecutorService pool, Target target, double[] rates, int stepSeconds, long stepRequests,
      int warmupSeconds, double warmupRate) throws Exception {
    HttpConnection[] conns = new HttpConnection[connections];
    for (int i = 0; i < connections; i++) {
      conns[i] = new HttpConnection(target.uri(), timeoutMs);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("target", target.name());
    result.put("url", target.uri().toString());
    result.put("body", target.transactions() ? "raw event (TransactionGenerator)" : "{\"features\": [[8 numbers]]}");
    result.put("server", args.string("label", ""));
    result.put("connections", connections);
    result.put("step_seconds", stepSeconds);
    result.put("step_requests", stepRequests);
    result.put("backlog_ms", backlogNanos / 1_000_000);
    result.put("p99_limit_ms", p99LimitMs);
    result.put("keepup_p99_ms", keepupP99Ms);
    result.put("cores", Runtime.getRuntime().availableProcessors());
    result.put("load_before", PipelineLatencyBenchmark.loadAverage());
    try {
      Map<String, Object> warmup = step(pool, conns, target, warmupRate, stepSize(warmupRate, warmupSeconds, Long.MAX_VALUE));
      print(target, "warm-up", warmup);
      result.put("warmup", warmup);
      List<Map<String, Object>> steps = new ArrayList<>();
      Double sustained = null;
      Double keptUpRate = null;
      boolean underLimit = true;
      for (double rate : rates) {
        Thread.sleep(args.intValue("pause-ms", 2000) / 2);
        Map<String, Object> s = step(pool, conns, target, rate, stepSize(rate, stepSeconds, stepRequests));
        print(target, "step", s);
        steps.add(s);
        if (!(Boolean) s.get("kept_up")) {
          break;
        }
        keptUpRate = rate;
        underLimit &= (Double) s.get("p99_ms") < p99LimitMs;
        if (underLimit) {
          sustained = rate;
        }
      }
      result.put("steps", steps);
      result.put("sustained_rate_p99_under_limit", sustained);
      result.put("highest_kept_up_rate", keptUpRate);
      result.put("reconnects", Arrays.stream(conns).mapToLong(c -> Math.max(0, c.connects() - 1)).sum());
      result.put("resent_after_idle_close", Arrays.stream(conns).mapToLong(HttpConnection::resent).sum());
      result.put("load_after", PipelineLatencyBenchmark.loadAverage());
      System.out.printf(Locale.ROOT, "RESULT serve_latency %s: sustained with p99 < %.0f ms: %s req/s; highest kept up: %s req/s%n",
          target.name(), p99LimitMs, sustained == null ? "none" : String.format(Locale.ROOT, "%.0f", sustained),
          keptUpRate == null ? "none" : String.format(Locale.ROOT, "%.0f", keptUpRate));
      return result;
    } finally {
      for (HttpConnection c : conns) {
        c.close();
      }
    }
  }

  private static long stepSize(double rate, int seconds, long maxRequests) {
    return Math.max(1, Math.min(maxRequests, (long) Math.ceil(rate * seconds)));
  }

  /** Sends {@code n} requests at {@code rate} per second and measures them. */
  private Map<String, Object> step(ExecutorService pool, HttpConnection[] conns, Target target, double rate, long n)
      throws InterruptedException, ExecutionException {
    double periodNanos = 1e9 / rate;
    long firstBody = target.transactions() ? nextEvent : 0;
    if (target.transactions()) {
      nextEvent += n;
    }
    AtomicLong next = new AtomicLong();
    AtomicBoolean abandoned = new AtomicBoolean();
    AtomicLong abandonedAt = new AtomicLong(-1);
    byte[] expected = target.expected();
    long cpuBefore = processCpuNanos();
    long serverBefore = serverCpuNanos();
    // Every thread is parked on its first request before the first one is due.
    long start = System.nanoTime() + 50_000_000L;
    List<Future<Share>> futures = new ArrayList<>();
    for (HttpConnection conn : conns) {
      futures.add(pool.submit(() -> {
        Share share = new Share();
        while (!abandoned.get()) {
          long k = next.getAndIncrement();
          if (k >= n) {
            break;
          }
          long due = start + (long) (k * periodNanos);
          long now = System.nanoTime();
          while (now < due) {
            LockSupport.parkNanos(due - now);
            now = System.nanoTime();
          }
          if (now - due > backlogNanos) {
            if (abandoned.compareAndSet(false, true)) {
              abandonedAt.set(k);
            }
            break;
          }
          byte[] body = target.transactions() ? events.get((int) (firstBody + k)) : features.get((int) (k % features.size()));
          share.sent++;
          try {
            HttpConnection.Reply reply = conn.post(body, expected);
            long end = System.nanoTime();
            share.lastEnd = Math.max(share.lastEnd, end);
            if (reply.status() != 200) {
              share.error("HTTP " + reply.status());
            } else if (!reply.expectedBody()) {
              share.error("200 without " + new String(expected, StandardCharsets.US_ASCII));
            } else {
              share.ok++;
              share.latency.recordValue(Math.min(MAX_MICROS, Math.max(1, (end - due) / 1000)));
              share.service.recordValue(Math.min(MAX_MICROS, Math.max(1, (end - now) / 1000)));
            }
          } catch (IOException e) {
            share.lastEnd = Math.max(share.lastEnd, System.nanoTime());
            share.error(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
        }
        return share;
      }));
    }
    Histogram latency = new Histogram(MAX_MICROS, 3);
    Histogram service = new Histogram(MAX_MICROS, 3);
    Map<String, Long> errors = new TreeMap<>();
    long ok = 0;
    long sent = 0;
    long lastEnd = start;
    for (Future<Share> f : futures) {
      Share s = f.get();
      latency.add(s.latency);
      service.add(s.service);
      s.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
      ok += s.ok;
      sent += s.sent;
      lastEnd = Math.max(lastEnd, s.lastEnd);
    }
    long cpu = processCpuNanos() - cpuBefore;
    long serverCpu = serverCpuNanos() - serverBefore;
    double seconds = Math.max(1e-9, (lastEnd - start) / 1e9);
    long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
    double achieved = ok / seconds;
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("rate", rate);
    s.put("planned", n);
    s.put("sent", sent);
    s.put("ok", ok);
    s.put("errors", errorCount);
    s.put("error_kinds", errors);
    s.put("seconds", round(seconds, 3));
    s.put("achieved_rate", round(achieved, 1));
    s.put("p50_ms", ms(latency, 50));
    s.put("p90_ms", ms(latency, 90));
    s.put("p99_ms", ms(latency, 99));
    s.put("p999_ms", ms(latency, 99.9));
    s.put("max_ms", latency.getTotalCount() == 0 ? null : round(latency.getMaxValue() / 1000.0, 3));
    s.put("service_p50_ms", ms(service, 50));
    s.put("service_p99_ms", ms(service, 99));
    s.put("abandoned", abandoned.get());
    s.put("abandoned_at_request", abandoned.get() ? abandonedAt.get() : null);
    s.put("generator_cpu_us_per_request", sent == 0 || cpu < 0 ? null : round(cpu / 1000.0 / sent, 1));
    s.put("server_cpu_us_per_request", sent == 0 || serverCpu < 0 ? null : round(serverCpu / 1000.0 / sent, 1));
    s.put("generator_cores", cpu < 0 ? null : round(cpu / 1e9 / seconds, 2));
    s.put("server_cores", serverCpu < 0 ? null : round(serverCpu / 1e9 / seconds, 2));
    s.put("load", PipelineLatencyBenchmark.loadAverage());
    Double p99 = (Double) s.get("p99_ms");
    s.put("kept_up", !abandoned.get() && errorCount == 0 && ok == n && achieved >= 0.95 * rate && p99 != null && p99 < keepupP99Ms);
    return s;
  }

  private static void print(Target target, String what, Map<String, Object> s) {
    System.out.printf(Locale.ROOT, "%s %s %6.0f req/s: achieved %8.1f, p50 %7.3f ms, p99 %8.3f ms, p99.9 %8.3f ms, max %8.3f ms, "
            + "service p99 %7.3f ms, errors %d%s, cpu us/req generator %s server %s, kept up %s%n",
        target.name(), what, (Double) s.get("rate"), (Double) s.get("achieved_rate"), orNaN(s.get("p50_ms")), orNaN(s.get("p99_ms")),
        orNaN(s.get("p999_ms")), orNaN(s.get("max_ms")), orNaN(s.get("service_p99_ms")), (Long) s.get("errors"),
        (Boolean) s.get("abandoned") ? ", ABANDONED (backlog) at request " + s.get("abandoned_at_request") : "",
        s.get("generator_cpu_us_per_request"), s.get("server_cpu_us_per_request"), s.get("kept_up"));
    @SuppressWarnings("unchecked")
    Map<String, Long> kinds = (Map<String, Long>) s.get("error_kinds");
    kinds.forEach((k, v) -> System.out.printf(Locale.ROOT, "    %,d x %s%n", v, k));
  }

  private static double orNaN(Object v) {
    return v == null ? Double.NaN : (Double) v;
  }

  private static Double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? null : round(h.getValueAtPercentile(percentile) / 1000.0, 3);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** CPU time of the server and its children (uvicorn's workers are child processes); -1 when unknown. */
  private long serverCpuNanos() {
    if (server.isEmpty()) {
      return -1;
    }
    long total = 0;
    List<ProcessHandle> all = new ArrayList<>();
    all.add(server.get());
    server.get().descendants().forEach(all::add);
    for (ProcessHandle p : all) {
      Optional<Duration> cpu = p.info().totalCpuDuration();
      if (cpu.isEmpty()) {
        return -1;
      }
      total += cpu.get().toNanos();
    }
    return total;
  }

  private static List<Target> parseTargets(String spec) {
    List<Target> targets = new ArrayList<>();
    for (String part : spec.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--targets takes name=url[,name=url...], got " + part);
      }
      URI uri = URI.create(part.substring(eq + 1).trim());
      targets.add(new Target(part.substring(0, eq).trim(), uri, uri.getPath().endsWith("/transactions")));
    }
    return targets;
  }

  /** {@code {"features": [[...]]}} for every row of the CSV, the numbers as the file writes them. */
  private static List<byte[]> featureBodies(Path csv) throws IOException {
    List<byte[]> bodies = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.US_ASCII)) {
      in.readLine();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] cells = line.split(",");
        if (cells.length < 8) {
          throw new IllegalArgumentException(csv + ": a row with fewer than 8 columns: " + line);
        }
        bodies.add(("{\"features\":[[" + String.join(",", Arrays.copyOf(cells, 8)) + "]]}").getBytes(StandardCharsets.US_ASCII));
      }
    }
    if (bodies.isEmpty()) {
      throw new IllegalArgumentException(csv + " holds no rows");
    }
    System.out.printf(Locale.ROOT, "read %,d feature rows from %s%n", bodies.size(), csv);
    return bodies;
  }

  /**
   * {@code count} raw events from the project's generator, in event-time order: its files hold
   * consecutive time ranges and are named in that order. The simulated span ends now, about 200
   * events per card. The label is dropped: a client asking for a score does not know it.
   */
  private static List<byte[]> eventBodies(Path work, long count) throws IOException {
    long started = System.nanoTime();
    Path dir = work.resolve("serve-events");
    BenchFiles.deleteFolder(dir);
    GeneratorOptions options = GeneratorOptions.of(count, Instant.now().minus(GeneratorOptions.DEFAULT_SPAN), 20_261_207L);
    TransactionGenerator.Result written = new TransactionGenerator(options).writeTo(dir, "serve");
    List<byte[]> bodies = new ArrayList<>(Math.toIntExact(written.rows()));
    for (Path file : written.files().stream().sorted().toList()) {
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (!line.isBlank()) {
            bodies.add(LABEL_FIELD.matcher(line).replaceFirst("").getBytes(StandardCharsets.UTF_8));
          }
        }
      }
    }
    BenchFiles.deleteFolder(dir);
    System.out.printf(Locale.ROOT, "generated %,d raw events (%,d fraud) over %,d cards in %.1f s%n",
        bodies.size(), written.fraudRows(), options.cards(), (System.nanoTime() - started) / 1e9);
    return bodies;
  }
}
