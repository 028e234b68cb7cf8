package io.fraudlake.demo;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The end of a demo run, every figure read back from the tables: what each stage holds, how good the
 * model is on the held-out window, what gold flagged and how much of it was real fraud.
 */
public record DemoReport(
    Path home,
    Path lakehouse,
    long landed,
    long bronze,
    long quarantined,
    long silver,
    long waiting,
    long gold,
    double rocAuc,
    double prAuc,
    long alerts,
    long trueAlerts,
    long fraudInGold,
    List<Suspect> top,
    String modelUri,
    String prodUri,
    String registry,
    Path reportDir,
    List<Path> plots,
    double seconds) {

  public DemoReport {
    top = List.copyOf(top);
    plots = List.copyOf(plots);
  }

  /** One of the most suspicious gold rows; {@code isFraud} is null where silver has no label. */
  public record Suspect(String transactionId, String card, Timestamp time, double amount, double score, Integer isFraud) {}

  public String render() {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add(String.format(Locale.ROOT, "FraudLake demo finished in %.1f s", seconds));
    lines.add("");
    lines.add("Rows per stage");
    lines.add(row("landed (JSON lines)", landed));
    lines.add(row("bronze_transactions", bronze));
    lines.add(row("bronze_quarantine", quarantined));
    lines.add(row("silver_transactions_base", silver));
    lines.add(row("waiting for the watermark", waiting));
    lines.add(row("fraud_predictions (gold)", gold));
    lines.add("");
    lines.add("Model on the held-out (latest) window");
    lines.add(String.format(Locale.ROOT, "  ROC-AUC %.4f   PR-AUC %.4f", rocAuc, prAuc));
    lines.add("");
    lines.add("Alerts in gold");
    lines.add(String.format(Locale.ROOT, "  %,d alerts, %,d of them real fraud (precision %s); gold holds %,d fraud "
        + "transactions, %,d caught (recall %s)", alerts, trueAlerts, percent(trueAlerts, alerts), fraudInGold,
        trueAlerts, percent(trueAlerts, fraudInGold)));
    lines.add("");
    lines.add("Top " + top.size() + " most suspicious transactions");
    lines.add(String.format(Locale.ROOT, "  %-24s %-12s %-20s %10s %7s %7s", "TransactionID", "card", "time (UTC)",
        "amount", "score", "isFraud"));
    for (Suspect s : top) {
      lines.add(String.format(Locale.ROOT, "  %-24s %-12s %-20s %10.2f %7.4f %7s", s.transactionId(), s.card(),
          s.time() == null ? "-" : s.time().toInstant().toString().replace('T', ' ').replace("Z", ""), s.amount(),
          s.score(), s.isFraud() == null ? "-" : s.isFraud().toString()));
    }
    lines.add("");
    lines.add("Where things are");
    lines.add("  runtime folder  " + home);
    lines.add("  tables          " + lakehouse);
    lines.add("  model           " + prodUri + " = " + modelUri + " (" + registry + ")");
    lines.add("  plots           " + reportDir);
    plots.forEach(p -> lines.add("                    " + p.getFileName()));
    lines.add("");
    lines.add("Try next");
    String h = "--home " + home;
    lines.add("  ./fraudlake sql " + h + " --query \"SELECT TransactionID, card_id, TransactionAmt, fraud_score "
        + "FROM fraud_predictions WHERE is_anomaly ORDER BY fraud_score DESC LIMIT 20\"");
    lines.add("  ./fraudlake sql " + h + " --file notebooks/fraud_alerts.sql");
    lines.add("  ./fraudlake generate " + h + " --rows 20000 --days 1 && ./fraudlake run " + h
        + "    # stream new events through bronze, silver and gold (Ctrl-C stops)");
    lines.add("  ./fraudlake score " + h + "    # score silver as a stream with " + prodUri);
    lines.add("  ./fraudlake train " + h + " --trees 300 && ./fraudlake promote " + h
        + "    # a challenger, promoted to @prod if it is as good");
    lines.add("  ./fraudlake models " + h);
    return String.join(System.lineSeparator(), lines);
  }

  private static String row(String what, long n) {
    return String.format(Locale.ROOT, "  %-28s %,12d", what, n);
  }

  private static String percent(long part, long whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }
}
