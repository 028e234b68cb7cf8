package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.KafkaPublisher;
import io.fraudlake.generate.TransactionGenerator;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Write synthetic card transactions (JSON lines, with labelled fraud) into the landing folder, "
        + "or publish them to a Kafka topic (--to kafka).")
final class GenerateCommand extends FraudLakeCommand {
  @Option(names = "--rows", paramLabel = "N", defaultValue = "100000", description = "Transactions to write (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--cards", paramLabel = "N", description = "Distinct cards (default: one per 200 rows).")
  Integer cards;

  @Option(names = "--fraud-rate", paramLabel = "RATE", defaultValue = "0.035",
      description = "Share of rows that are fraud, 0..1 (default: ${DEFAULT-VALUE}).")
  double fraudRate;

  @Option(names = "--start", paramLabel = "WHEN",
      description = "Event-time origin: ISO date (2024-03-10) or date-time (2024-03-10T08:00:00Z; UTC if no zone). "
          + "Default: now minus the span.")
  String start;

  @Option(names = "--days", paramLabel = "N", defaultValue = "3", description = "Simulated days covered (default: ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--files", paramLabel = "N", defaultValue = "8", description = "Landing files to write in parallel (default: ${DEFAULT-VALUE}).")
  int files;

  @Option(names = "--seed", paramLabel = "N",
      description = "Random seed; the same seed and options give identical files (default: random, printed).")
  Long seed;

  @Option(names = "--amount-shift", paramLabel = "FACTOR", defaultValue = "1.0",
      description = "Drift: multiply legitimate amounts by this factor (default: ${DEFAULT-VALUE}).")
  double amountShift;

  @Option(names = "--foreign-rate", paramLabel = "RATE", defaultValue = "0.03",
      description = "Drift: share of legitimate rows paid abroad, 0..1 (default: ${DEFAULT-VALUE}).")
  double foreignRate;

  @Option(names = "--epoch-millis-rate", paramLabel = "RATE", defaultValue = "0.1",
      description = "Share of rows whose event_timestamp is epoch milliseconds instead of ISO-8601 (default: ${DEFAULT-VALUE}).")
  double epochMillisRate;

  @Option(names = "--to", paramLabel = "WHERE", defaultValue = "landing",
      description = "landing (files in the landing folder) or kafka (records keyed by card_id on --topic, "
          + "at source.kafka.bootstrap-servers with source.kafka.options) (default: ${DEFAULT-VALUE}).")
  String to;

  @Option(names = "--topic", paramLabel = "TOPIC", description = "With --to kafka: the topic (default: source.kafka.topic).")
  String topic;

  @Option(names = "--rate", paramLabel = "N", defaultValue = "0",
      description = "With --to kafka: events per second, for streaming demos; 0 = as fast as the broker takes them "
          + "(default: ${DEFAULT-VALUE}).")
  double rate;

  @Override
  int run(JobContext context) {
    long started = System.nanoTime();
    if (days <= 0) {
      throw new FraudLakeException("--days must be positive, got " + days);
    }
    boolean kafka = switch (to.trim().toLowerCase(Locale.ROOT)) {
      case "landing" -> false;
      case "kafka" -> true;
      default -> throw new FraudLakeException("--to must be landing or kafka, got \"" + to + "\"");
    };
    if (!kafka && (topic != null || rate != 0)) {
      throw new FraudLakeException("--topic and --rate go with --to kafka");
    }
    Duration span = Duration.ofDays(days);
    long actualSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, 1_000_000_000L);
    Instant origin = start != null ? parseStart(start) : Instant.now().minus(span).truncatedTo(ChronoUnit.SECONDS);
    int cardCount = cards != null ? cards : GeneratorOptions.defaultCards(rows);
    GeneratorOptions options = new GeneratorOptions(rows, cardCount, fraudRate, origin, span, files, actualSeed,
        amountShift, foreignRate, epochMillisRate);
    TransactionGenerator.Result result;
    String where;
    if (kafka) {
      FraudLakeConfig config = context.config();
      String servers = config.string("source.kafka.bootstrap-servers").trim();
      String target = topic != null ? topic.trim() : config.string("source.kafka.topic").trim();
      try (KafkaPublisher publisher = new KafkaPublisher(servers, target,
          KafkaPublisher.clientOptions(config.stringMap("source.kafka.options")), rate)) {
        result = new TransactionGenerator(options).publish(publisher);
      }
      where = "to Kafka topic " + target + " at " + servers;
    } else {
      String runTag = String.format(Locale.ROOT, "%d-s%d", System.currentTimeMillis(), actualSeed);
      result = new TransactionGenerator(options).writeTo(context.config().landingDir(), runTag);
      where = String.format(Locale.ROOT, "in %d files under %s", result.files().size(), context.config().landingDir());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf(Locale.ROOT,
        "generate: %,d rows (%,d fraud, %.2f%%) for %,d cards %s, events %s .. %s, seed %d, %.1f s%n",
        result.rows(), result.fraudRows(), 100.0 * result.fraudRows() / Math.max(1, result.rows()), cardCount,
        where, origin, origin.plus(span), actualSeed, seconds);
    return 0;
  }

  static Instant parseStart(String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException notOffset) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException notLocal) {
        try {
          return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException notDate) {
          throw new FraudLakeException("--start: cannot read '" + text
              + "' as an ISO date (2024-03-10) or date-time (2024-03-10T08:00:00Z)");
        }
      }
    }
  }
}
