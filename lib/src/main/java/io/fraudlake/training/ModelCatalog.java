package io.fraudlake.training;

import io.fraudlake.FraudLakeException;
import io.fraudlake.registry.ColumnSpec;
import io.fraudlake.registry.ModelRegistry;
import io.fraudlake.registry.ModelUri;
import io.fraudlake.registry.ModelVersionInfo;
import io.fraudlake.registry.RegisteredModelInfo;
import io.fraudlake.registry.RunInfo;
import io.fraudlake.registry.Signature;
import io.fraudlake.scoring.ModelStore;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code models} prints: the registered models with their versions, aliases and key
 * metrics, or everything about one version. Text lines only; the command decides where they go.
 */
public final class ModelCatalog {
  /** The metrics shown per version in the listing. */
  public static final List<String> KEY_METRICS = List.of("roc_auc", "pr_auc");
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final ModelRegistry registry;

  public ModelCatalog(ModelRegistry registry) {
    this.registry = registry;
  }

  /** Every registered model (or only {@code name} when not null) with all its versions, newest first. */
  public List<String> list(String name) {
    List<RegisteredModelInfo> models = registry.listRegisteredModels().stream()
        .filter(m -> name == null || m.name().equals(name))
        .toList();
    if (name != null && models.isEmpty()) {
      throw new FraudLakeException("no registered model named '" + name + "' in " + registry.describe());
    }
    List<String> lines = new ArrayList<>();
    if (models.isEmpty()) {
      lines.add("no registered models in " + registry.describe() + " (run 'train' first)");
      return lines;
    }
    for (RegisteredModelInfo model : models) {
      if (!lines.isEmpty()) {
        lines.add("");
      }
      String aliases = model.aliases().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .map(e -> "@" + e.getKey() + " -> v" + e.getValue())
          .collect(Collectors.joining(", "));
      lines.add(model.name() + (aliases.isEmpty() ? "" : "   " + aliases));
      lines.add(String.format(Locale.ROOT, "  %-7s  %-22s  %-20s  %-32s  %8s  %8s",
          "version", "aliases", "created", "run id", "roc_auc", "pr_auc"));
      for (ModelVersionInfo version : registry.searchModelVersions(model.name())) {
        Map<String, Double> metrics = metricsOf(version.runId());
        lines.add(String.format(Locale.ROOT, "  %-7d  %-22s  %-20s  %-32s  %8s  %8s",
            version.version(),
            version.aliases().isEmpty() ? "-" : version.aliases().stream().sorted().map(a -> "@" + a).collect(Collectors.joining(" ")),
            time(version.creationTime()),
            version.runId() == null ? "-" : version.runId(),
            number(metrics.get("roc_auc")),
            number(metrics.get("pr_auc"))));
      }
    }
    return lines;
  }

  /** One version: where it lives, its signature, the run's parameters and metrics. */
  public List<String> show(String modelUri, ModelStore models) {
    ModelUri uri = ModelUri.parse(modelUri);
    ModelVersionInfo version = models.resolve(uri);
    Signature signature = models.signature(version);
    List<String> lines = new ArrayList<>();
    lines.add(uri + " = " + version.uri());
    lines.add("  aliases    " + (version.aliases().isEmpty() ? "-" : version.aliases().stream().sorted().map(a -> "@" + a).collect(Collectors.joining(" "))));
    lines.add("  created    " + time(version.creationTime()));
    lines.add("  status     " + version.status());
    lines.add("  run id     " + version.runId());
    lines.add("  artifacts  " + version.source());
    lines.add("  signature  (" + signature.inputs().size() + " inputs -> " + signature.outputs().size() + " outputs)");
    for (ColumnSpec input : signature.inputs()) {
      lines.add(String.format(Locale.ROOT, "    %-26s %s", input.name(), input.type()));
    }
    for (ColumnSpec output : signature.outputs()) {
      lines.add(String.format(Locale.ROOT, "    -> %-23s %s", output.name(), output.type()));
    }
    if (version.runId() != null) {
      RunInfo run = registry.getRun(version.runId());
      lines.add("  parameters");
      new TreeMap<>(run.params()).forEach((k, v) -> lines.add(String.format(Locale.ROOT, "    %-26s %s", k, v)));
      lines.add("  metrics");
      new TreeMap<>(run.metrics()).forEach((k, v) -> lines.add(String.format(Locale.ROOT, "    %-26s %s", k, number(v))));
    }
    return lines;
  }

  private Map<String, Double> metricsOf(String runId) {
    if (runId == null) {
      return Map.of();
    }
    try {
      return registry.getRun(runId).metrics();
    } catch (FraudLakeException e) {
      // A deleted run leaves its versions behind; list them without metrics.
      return Map.of();
    }
  }

  private static String time(Instant instant) {
    return instant == null ? "-" : TIME.format(instant);
  }

  private static String number(Double value) {
    if (value == null) {
      return "-";
    }
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? String.format(Locale.ROOT, "%d", value.longValue())
        : String.format(Locale.ROOT, "%.4f", value);
  }
}
