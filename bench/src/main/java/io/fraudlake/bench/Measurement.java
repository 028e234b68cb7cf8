package io.fraudlake.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The protocol every implementation is measured with (the LinkedIn runner and the scikit-learn script
 * repeat it): {@code warmup} untimed fit+score rounds, then {@code reps} timed rounds on the same
 * in-memory data; the medians are reported. Warm-up rounds are full size so the JIT, Spark's code
 * generation and its broadcast/shuffle machinery are all hot before the first timed round.
 */
final class Measurement<M> {
  /** The model of the last timed round, for untimed sanity checks afterwards. */
  M lastModel;
  final List<Double> trainSeconds = new ArrayList<>();
  final List<Double> scoreSeconds = new ArrayList<>();

  static <M> Measurement<M> run(int warmup, int reps, Supplier<M> fit, Function<M, Object> score) {
    Measurement<M> m = new Measurement<>();
    for (int round = 0; round < warmup + reps; round++) {
      long t0 = System.nanoTime();
      M model = fit.get();
      long t1 = System.nanoTime();
      Object check = score.apply(model);
      long t2 = System.nanoTime();
      boolean timed = round >= warmup;
      System.err.printf(Locale.ROOT, "%s round %d: fit %.2f s, score %.2f s (%s)%n",
          timed ? "timed" : "warm-up", round, (t1 - t0) / 1e9, (t2 - t1) / 1e9, check);
      if (timed) {
        m.trainSeconds.add((t1 - t0) / 1e9);
        m.scoreSeconds.add((t2 - t1) / 1e9);
        m.lastModel = model;
      }
    }
    return m;
  }

  static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  }

  /** One flat JSON object: the fields given, then the timings and their medians. */
  String toJson(Map<String, Object> fields, long rows) {
    StringBuilder b = new StringBuilder("{");
    fields.forEach((k, v) -> b.append(quote(k)).append(':').append(value(v)).append(','));
    double train = median(trainSeconds);
    double score = median(scoreSeconds);
    b.append("\"train_s\":").append(list(trainSeconds)).append(',')
        .append("\"score_s\":").append(list(scoreSeconds)).append(',')
        .append("\"train_s_median\":").append(value(train)).append(',')
        .append("\"score_s_median\":").append(value(score)).append(',')
        .append("\"score_rows_per_s\":").append(value(rows / score))
        .append('}');
    return b.toString();
  }

  private static String list(List<Double> xs) {
    return Arrays.toString(xs.stream().map(Measurement::value).toArray());
  }

  static String value(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Double d) {
      return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    return quote(v.toString());
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
