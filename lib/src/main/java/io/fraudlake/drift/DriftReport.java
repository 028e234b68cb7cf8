package io.fraudlake.drift;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.FraudLakeException;
import io.fraudlake.generate.GeneratorOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.ToDoubleFunction;

/** The figures of a drift simulation: a console table, {@value #JSON_FILE}, {@value #CSV_FILE} and {@value #PLOT_FILE}. */
public record DriftReport(DriftSimulationOptions options, DriftSchedule schedule, double psiThreshold, long minDriftRows,
    List<BatchOutcome> batches, String modelName, String registry, Path reportDir, double seconds) {
  public static final String JSON_FILE = "drift_simulation.json";
  public static final String CSV_FILE = "drift_simulation.csv";
  public static final String PLOT_FILE = "drift_simulation.png";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Short column heads for the console's PSI table; the JSON and CSV keep the feature names. */
  private static final Map<String, String> SHORT = Map.of(
      "TransactionAmt", "amount", "log_transaction_amount", "log_amt", "is_high_value_txn", "high_val",
      "is_international_txn", "intl", "txn_count_5min", "cnt_5m", "avg_amount_5min", "avg_5m",
      "stddev_amount_5min", "std_5m", "product_diversity_5min", "prod_5m");

  public DriftReport {
    batches = List.copyOf(batches);
  }

  /** The rule that triggers retraining, as the console and the JSON state it. */
  public String triggerRule() {
    return String.format(Locale.ROOT, "any feature's PSI >= %.3f (monitoring.psi-threshold) against the training "
        + "reference of the model @prod, over features with at least %d values in the batch (monitoring.min-drift-rows)",
        psiThreshold, minDriftRows);
  }

  /** The first batch whose drift triggers retraining (the first retrain in a {@code --retrain} run). */
  public OptionalInt triggerBatch() {
    return batches.stream().filter(BatchOutcome::triggered).mapToInt(BatchOutcome::batch).findFirst();
  }

  /** The features in the model's order, as the PSI maps hold them. */
  public List<String> features() {
    return batches.isEmpty() ? List.of() : List.copyOf(batches.get(0).psi().keySet());
  }

  public List<RetrainOutcome> retrains() {
    return batches.stream().map(BatchOutcome::retrain).filter(java.util.Objects::nonNull).toList();
  }

  public Path jsonFile() {
    return reportDir.resolve(JSON_FILE);
  }

  public Path csvFile() {
    return reportDir.resolve(CSV_FILE);
  }

  public Path plotFile() {
    return reportDir.resolve(PLOT_FILE);
  }

  /** Mean of a figure over the batches after the first promotion, for @prod and for the reference model. */
  public record Recovery(int fromBatch, double withRetraining, double withoutRetraining) {}

  public java.util.Optional<Recovery> recovery(ToDoubleFunction<ModelFigures> figure) {
    List<BatchOutcome> after = batches.stream().filter(b -> b.withoutRetraining() != null).toList();
    if (after.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new Recovery(after.get(0).batch(),
        after.stream().mapToDouble(b -> figure.applyAsDouble(b.prod())).average().orElse(Double.NaN),
        after.stream().mapToDouble(b -> figure.applyAsDouble(b.reference())).average().orElse(Double.NaN)));
  }

  void write() {
    try {
      Files.createDirectories(reportDir);
      JSON.writeValue(jsonFile().toFile(), toMap());
      Files.writeString(csvFile(), csv());
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the drift report to " + reportDir + ": " + e.getMessage(), e);
    }
    DriftPlots.write(this, plotFile());
  }

  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("batches", options.batches());
    map.put("rows_per_batch", options.rowsPerBatch());
    map.put("reference_days", DriftSimulationOptions.REFERENCE_DAYS);
    map.put("seed", options.seed());
    map.put("retrain", options.retrain());
    map.put("recent_batches", options.recentBatches());
    map.put("model_name", modelName);
    map.put("registry", registry);
    map.put("psi_threshold", psiThreshold);
    map.put("min_drift_rows", minDriftRows);
    map.put("trigger_rule", triggerRule());
    map.put("trigger_batch", triggerBatch().isPresent() ? triggerBatch().getAsInt() : null);
    map.put("first_new_fraud_pattern_batch", schedule.firstSweepBatch());
    map.put("seconds", seconds);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BatchOutcome b : batches) {
      GeneratorOptions drift = schedule.batch(b.batch()).generator();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("batch", b.batch());
      row.put("from", b.from().toString());
      row.put("to", b.to().toString());
      row.put("amount_shift", drift.amountShift());
      row.put("foreign_rate", drift.foreignRate());
      row.put("foreign_testing_share", drift.foreignTestingShare());
      row.put("rows", b.rows());
      row.put("fraud", b.fraud());
      row.put("prod", b.prod());
      row.put("without_retraining", b.withoutRetraining());
      row.put("psi", b.psi());
      row.put("drifted", b.drifted());
      row.put("triggered", b.triggered());
      row.put("retrain", b.retrain());
      rows.add(row);
    }
    map.put("per_batch", rows);
    return map;
  }

  String csv() {
    List<String> head = new ArrayList<>(List.of("batch", "from", "to", "amount_shift", "foreign_rate",
        "foreign_testing_share", "rows", "fraud", "model_version", "roc_auc", "pr_auc", "alert_rate", "recall"));
    features().forEach(f -> head.add("psi_" + f));
    head.addAll(List.of("triggered", "retrain", "no_retrain_roc_auc", "no_retrain_pr_auc", "no_retrain_alert_rate",
        "no_retrain_recall"));
    StringBuilder out = new StringBuilder(String.join(",", head)).append('\n');
    for (BatchOutcome b : batches) {
      GeneratorOptions drift = schedule.batch(b.batch()).generator();
      List<String> cells = new ArrayList<>(List.of(Integer.toString(b.batch()), b.from().toString(), b.to().toString(),
          number(drift.amountShift()), number(drift.foreignRate()), number(drift.foreignTestingShare()),
          Long.toString(b.rows()), Long.toString(b.fraud()), b.prod().version(), number(b.prod().rocAuc()),
          number(b.prod().prAuc()), number(b.prod().alertRate()), number(b.prod().recall())));
      features().forEach(f -> cells.add(b.psi().containsKey(f) ? number(b.psi().get(f)) : ""));
      cells.add(Boolean.toString(b.triggered()));
      cells.add(b.retrain() == null ? "" : "\"" + b.retrain().describe() + "\"");
      ModelFigures reference = b.withoutRetraining();
      cells.add(reference == null ? "" : number(reference.rocAuc()));
      cells.add(reference == null ? "" : number(reference.prAuc()));
      cells.add(reference == null ? "" : number(reference.alertRate()));
      cells.add(reference == null ? "" : number(reference.recall()));
      out.append(String.join(",", cells)).append('\n');
    }
    return out.toString();
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.6f", value);
  }

  public String render() {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add(String.format(Locale.ROOT, "Drift simulation: %d batches of %,d transactions after a %d-day reference, "
        + "seed %d, %s (%.1f s)", options.batches(), options.rowsPerBatch(), DriftSimulationOptions.REFERENCE_DAYS,
        options.seed(), options.retrain() ? "retraining on the trigger (--retrain)" : "no retraining", seconds));
    lines.add(String.format(Locale.ROOT, "What drifts: legitimate amounts x1 -> x%.1f, purchases abroad %.0f%% -> %.0f%%, "
        + "and from batch %d a fraud pattern the reference never saw (foreign card-testing sweeps)",
        1 + DriftSchedule.MAX_AMOUNT_GROWTH, 100 * GeneratorOptions.DEFAULT_FOREIGN_RATE,
        100 * (GeneratorOptions.DEFAULT_FOREIGN_RATE + DriftSchedule.MAX_EXTRA_FOREIGN), schedule.firstSweepBatch()));
    lines.add("Retraining trigger: " + triggerRule());
    lines.add("");
    boolean compared = batches.stream().anyMatch(b -> b.withoutRetraining() != null);
    String head = String.format(Locale.ROOT, "  %5s %7s %6s %6s %6s %7s %6s %8s %7s %7s %7s %8s", "batch", "amounts",
        "abroad", "sweeps", "model", "rows", "fraud", "ROC-AUC", "PR-AUC", "alerts", "recall", "max PSI");
    lines.add(head + (compared ? String.format(Locale.ROOT, "  | %-31s", "without retraining (reference)") : "")
        + "  trigger");
    for (BatchOutcome b : batches) {
      GeneratorOptions drift = schedule.batch(b.batch()).generator();
      String row = String.format(Locale.ROOT, "  %5d %7s %6s %6s %6s %,7d %,6d %8.4f %7.4f %7s %7s %8.3f", b.batch(),
          String.format(Locale.ROOT, "x%.2f", drift.amountShift()), percent(drift.foreignRate()),
          percent(drift.foreignTestingShare()), "v" + b.prod().version(), b.rows(), b.fraud(), b.prod().rocAuc(),
          b.prod().prAuc(), percent(b.prod().alertRate()), percent(b.prod().recall()),
          b.psi().values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
      if (compared) {
        ModelFigures r = b.withoutRetraining();
        row += r == null ? String.format(Locale.ROOT, "  | %-31s", "(same model)")
            : String.format(Locale.ROOT, "  | %.4f %.4f %6s %6s    ", r.rocAuc(), r.prAuc(), percent(r.alertRate()),
                percent(r.recall()));
      }
      String trigger = b.triggered() ? "  PSI>=" + String.format(Locale.ROOT, "%.2f", psiThreshold) + ": "
          + String.join(", ", b.drifted()) : "";
      lines.add(row + trigger);
      if (b.retrain() != null) {
        lines.add("        -> retrain: " + b.retrain().describe() + "; gate: " + b.retrain().reason());
      }
    }
    lines.add("");
    lines.add("PSI per feature (against the training reference of the model that scored the batch)");
    StringBuilder psiHead = new StringBuilder(String.format(Locale.ROOT, "  %5s", "batch"));
    features().forEach(f -> psiHead.append(String.format(Locale.ROOT, " %8s", SHORT.getOrDefault(f, f))));
    lines.add(psiHead.toString());
    for (BatchOutcome b : batches) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %5d", b.batch()));
      features().forEach(f -> row.append(b.psi().containsKey(f)
          ? String.format(Locale.ROOT, " %7.3f%s", b.psi().get(f), b.drifted().contains(f) ? "*" : " ")
          : String.format(Locale.ROOT, " %8s", "-")));
      lines.add(row.toString());
    }
    lines.add("  (* at or above the threshold; " + String.join(", ", features().stream()
        .map(f -> SHORT.getOrDefault(f, f) + " = " + f).toList()) + ")");
    lines.add("");
    lines.add(conclusion());
    lines.add("");
    lines.add("Files");
    lines.add("  " + plotFile());
    lines.add("  " + jsonFile());
    lines.add("  " + csvFile());
    lines.add("  models: " + modelName + " in " + registry);
    return String.join(System.lineSeparator(), lines);
  }

  private String conclusion() {
    if (triggerBatch().isEmpty()) {
      return "No batch reached the trigger: the reference model would have been kept throughout.";
    }
    int at = triggerBatch().getAsInt();
    BatchOutcome trigger = batches.get(at - 1);
    String why = String.join(", ", trigger.drifted().stream().map(f -> String.format(Locale.ROOT, "%s PSI %.3f", f,
        trigger.psi().get(f))).toList());
    if (!options.retrain()) {
      return String.format(Locale.ROOT, "Retraining would have been triggered at batch %d (%s); run with --retrain to "
          + "retrain there and compare.", at, why);
    }
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "Drift triggered retraining at batch %d (%s).", at, why));
    for (RetrainOutcome r : retrains()) {
      lines.add(String.format(Locale.ROOT, "  batch %d: %s; gate on batch %d: challenger ROC-AUC %.4f vs prod v%s %.4f",
          r.gateBatch(), r.describe(), r.gateBatch(), r.challengerRocAuc(), r.prodVersion(), r.prodRocAuc()));
    }
    recovery(ModelFigures::prAuc).ifPresent(pr -> {
      Recovery roc = recovery(ModelFigures::rocAuc).orElseThrow();
      Recovery alerts = recovery(ModelFigures::alertRate).orElseThrow();
      Recovery recall = recovery(ModelFigures::recall).orElseThrow();
      lines.add(String.format(Locale.ROOT, "Batches %d-%d, mean with retraining vs without: PR-AUC %.4f vs %.4f, "
          + "ROC-AUC %.4f vs %.4f, alerts %s vs %s, recall %s vs %s", pr.fromBatch(), batches.size(),
          pr.withRetraining(), pr.withoutRetraining(), roc.withRetraining(), roc.withoutRetraining(),
          percent(alerts.withRetraining()), percent(alerts.withoutRetraining()), percent(recall.withRetraining()),
          percent(recall.withoutRetraining())));
    });
    if (retrains().stream().noneMatch(RetrainOutcome::promoted)) {
      lines.add("No challenger passed the promotion gate: the reference model stayed @prod.");
    }
    return String.join(System.lineSeparator(), lines);
  }

  private static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }
}
