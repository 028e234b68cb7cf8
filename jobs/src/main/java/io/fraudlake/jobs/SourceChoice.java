package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --source} option of the commands that ingest lines ({@code bronze}, {@code run}). */
final class SourceChoice {
  static final class Kinds extends java.util.ArrayList<String> {
    Kinds() {
      super(List.of("landing", "kafka"));
    }
  }

  @Option(names = "--source", paramLabel = "KIND", completionCandidates = Kinds.class,
      description = "Where lines come from: ${COMPLETION-CANDIDATES} (default: source.kind; kafka reads source.kafka.*).")
  String kind;

  /** {@code source.kind} as the option sets it, or nothing when it is not given. */
  Map<String, String> overrides() {
    if (kind == null) {
      return Map.of();
    }
    String lower = kind.trim().toLowerCase(Locale.ROOT);
    if (!new Kinds().contains(lower)) {
      throw new FraudLakeException("--source must be landing or kafka, got \"" + kind + "\"");
    }
    return Map.of("source.kind", lower);
  }
}
