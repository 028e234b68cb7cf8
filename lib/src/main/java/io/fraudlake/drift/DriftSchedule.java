package io.fraudlake.drift;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.generate.GeneratorOptions;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The simulated calendar: a reference period of normal behaviour, then one day per production batch in
 * which customers drift a little further each day. With {@code p = batch / batches}:
 *
 * <ul>
 *   <li>legitimate amounts are multiplied by {@code 1 + 1.5 p} (2.5 times the reference amounts in the last batch);
 *   <li>the share of legitimate purchases abroad grows from 3 % to {@code 3 % + 37 % · p} (40 % at the end);
 *   <li>from batch {@code batches / 2 + 1} on, half of the fraud episodes are foreign card-testing sweeps
 *       (many small tries abroad in every product within minutes), which the reference never contains.
 * </ul>
 *
 * <p>Every period is a later generator batch ({@link GeneratorOptions#batch()}) of the same cards with the
 * same habits, and as many transactions per card and day, so an undrifted batch looks like the reference.
 */
public final class DriftSchedule {
  public static final Instant START = Instant.parse("2024-06-01T00:00:00Z");
  static final double MAX_AMOUNT_GROWTH = 1.5;
  static final double MAX_EXTRA_FOREIGN = 0.37;
  static final double SWEEP_SHARE = 0.5;
  private static final Duration DAY = Duration.ofDays(1);
  private static final int FILES_PER_PERIOD = 1;

  /** One stretch of event time and how its transactions are generated; batch 0 is the reference. */
  public record Period(int batch, Instant from, Instant to, GeneratorOptions generator) {
    /** The silver rows whose event time falls in this period. */
    public Dataset<Row> rows(Dataset<Row> silver) {
      return between(silver, from, to);
    }

    public String describe() {
      return String.format(Locale.ROOT, "amounts x%.2f, %.1f%% abroad, %.0f%% of fraud episodes foreign sweeps",
          generator.amountShift(), 100 * generator.foreignRate(), 100 * generator.foreignTestingShare());
    }
  }

  private final Period reference;
  private final List<Period> batches;

  private DriftSchedule(Period reference, List<Period> batches) {
    this.reference = reference;
    this.batches = List.copyOf(batches);
  }

  public static DriftSchedule of(DriftSimulationOptions options) {
    Instant referenceEnd = START.plus(DAY.multipliedBy(DriftSimulationOptions.REFERENCE_DAYS));
    // The same cards per day in every period, so each card's pace (and the 5-minute window features) does not
    // change between the reference and the batches: only what the schedule drifts does.
    int cards = GeneratorOptions.defaultCards(options.rowsPerBatch() * DriftSimulationOptions.REFERENCE_DAYS);
    GeneratorOptions normal = generator(options.rowsPerBatch() * DriftSimulationOptions.REFERENCE_DAYS, cards, START,
        referenceEnd, options.seed(), 0);
    Period reference = new Period(0, START, referenceEnd, normal);
    List<Period> batches = new ArrayList<>();
    for (int b = 1; b <= options.batches(); b++) {
      double p = b / (double) options.batches();
      Instant from = referenceEnd.plus(DAY.multipliedBy(b - 1L));
      Instant to = from.plus(DAY);
      GeneratorOptions drifted = generator(options.rowsPerBatch(), cards, from, to, options.seed(), b)
          .withDrift(1 + MAX_AMOUNT_GROWTH * p, GeneratorOptions.DEFAULT_FOREIGN_RATE + MAX_EXTRA_FOREIGN * p)
          .withForeignTestingShare(b > options.batches() / 2 ? SWEEP_SHARE : 0.0);
      batches.add(new Period(b, from, to, drifted));
    }
    return new DriftSchedule(reference, batches);
  }

  private static GeneratorOptions generator(long rows, int cards, Instant from, Instant to, long seed, int batch) {
    // One seed for the same cards; the batch number gives each period its own transactions and IDs.
    return GeneratorOptions.of(rows, from, seed)
        .withBatch(batch)
        .withSpan(Duration.between(from, to))
        .withCards(cards)
        .withFiles(FILES_PER_PERIOD);
  }

  public Period reference() {
    return reference;
  }

  public List<Period> batches() {
    return batches;
  }

  public Period batch(int number) {
    return batches.get(number - 1);
  }

  /** The first batch with the new fraud pattern. */
  public int firstSweepBatch() {
    return batches.stream().filter(p -> p.generator().foreignTestingShare() > 0).mapToInt(Period::batch)
        .findFirst().orElse(batches.size() + 1);
  }

  /**
   * What a model trained until {@code cutoff} learns from and is evaluated on: the rows of {@code rows}
   * before the cutoff that are not labelled fraud, and every row from the cutoff on. A simulated period
   * is used for training once its fraud has been confirmed (chargebacks), and an unsupervised detector
   * fitted on a new fraud pattern learns it as normal.
   */
  public static Dataset<Row> withoutKnownFraudBefore(Dataset<Row> rows, Instant cutoff) {
    Column before = col(ModelFeatures.EVENT_TIME).lt(lit(Timestamp.from(cutoff)));
    return rows.where(before.unary_$bang().or(coalesce(col(ModelFeatures.LABEL), lit(0)).notEqual(1)));
  }

  /** Silver rows of batches {@code first} to {@code last} (inclusive). */
  public Dataset<Row> rows(Dataset<Row> silver, int first, int last) {
    return between(silver, batch(first).from(), batch(last).to());
  }

  private static Dataset<Row> between(Dataset<Row> silver, Instant from, Instant to) {
    return silver.where(col(ModelFeatures.EVENT_TIME).geq(lit(Timestamp.from(from)))
        .and(col(ModelFeatures.EVENT_TIME).lt(lit(Timestamp.from(to)))));
  }
}
