package io.fraudlake.generate;

import io.fraudlake.FraudLakeException;
import java.time.Duration;
import java.time.Instant;

/**
 * What to generate. {@code amountShift} and {@code foreignRate} exist to simulate drift (a later
 * batch whose legitimate customers spend more or travel more) so monitoring has something to find.
 *
 * @param rows total transactions (legitimate plus fraud)
 * @param cards distinct cards
 * @param fraudRate share of rows labelled isFraud = 1
 * @param start event-time origin of the simulated span
 * @param span how much event time the rows cover
 * @param files landing files written (in parallel), each holding a disjoint set of cards
 * @param seed the same seed and options give byte-identical files
 * @param amountShift factor on every legitimate amount (1.0 = no drift)
 * @param foreignRate share of legitimate rows at a merchant abroad (travellers)
 * @param epochMillisRate share of rows whose event_timestamp is written as epoch milliseconds
 * @param foreignTestingShare share of fraud episodes that are foreign card-testing sweeps, a pattern the
 *     default mix never produces (0 = the default mix), so a drift simulation can bring in fraud that a
 *     model trained on earlier data has not seen
 * @param batch 0 for a first set of transactions; a later batch of the same cards (same seed, same card
 *     habits) draws other transactions under other IDs, so a simulation can replay days of one population
 */
public record GeneratorOptions(
    long rows,
    int cards,
    double fraudRate,
    Instant start,
    Duration span,
    int files,
    long seed,
    double amountShift,
    double foreignRate,
    double epochMillisRate,
    double foreignTestingShare,
    int batch) {

  public static final double DEFAULT_FRAUD_RATE = 0.035;
  public static final double DEFAULT_FOREIGN_RATE = 0.03;
  public static final Duration DEFAULT_SPAN = Duration.ofDays(3);

  public GeneratorOptions {
    require(rows > 0, "--rows must be positive, got " + rows);
    require(cards > 0, "--cards must be positive, got " + cards);
    require(fraudRate >= 0 && fraudRate <= 1, "--fraud-rate must be between 0 and 1, got " + fraudRate);
    require(span != null && !span.isNegative() && !span.isZero(), "the span must be positive, got " + span);
    require(files > 0, "--files must be positive, got " + files);
    require(amountShift > 0 && Double.isFinite(amountShift), "--amount-shift must be a positive factor, got " + amountShift);
    require(foreignRate >= 0 && foreignRate <= 1, "--foreign-rate must be between 0 and 1, got " + foreignRate);
    require(epochMillisRate >= 0 && epochMillisRate <= 1, "epoch-millis rate must be between 0 and 1, got " + epochMillisRate);
    require(start != null, "a start instant is required");
    require(foreignTestingShare >= 0 && foreignTestingShare <= 1,
        "the foreign card-testing share must be between 0 and 1, got " + foreignTestingShare);
    require(batch >= 0, "the batch number must not be negative, got " + batch);
  }

  /** Options with the default fraud mix (no foreign card-testing sweeps). */
  public GeneratorOptions(long rows, int cards, double fraudRate, Instant start, Duration span, int files, long seed,
      double amountShift, double foreignRate, double epochMillisRate) {
    this(rows, cards, fraudRate, start, span, files, seed, amountShift, foreignRate, epochMillisRate, 0.0, 0);
  }

  /** Defaults for everything but the size, origin and seed; about 200 transactions per card. */
  public static GeneratorOptions of(long rows, Instant start, long seed) {
    return new GeneratorOptions(rows, defaultCards(rows), DEFAULT_FRAUD_RATE, start, DEFAULT_SPAN, 8, seed, 1.0,
        DEFAULT_FOREIGN_RATE, 0.1);
  }

  public static int defaultCards(long rows) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, rows / 200));
  }

  public GeneratorOptions withCards(int value) {
    return new GeneratorOptions(rows, value, fraudRate, start, span, files, seed, amountShift, foreignRate, epochMillisRate,
        foreignTestingShare, batch);
  }

  public GeneratorOptions withFiles(int value) {
    return new GeneratorOptions(rows, cards, fraudRate, start, span, value, seed, amountShift, foreignRate, epochMillisRate,
        foreignTestingShare, batch);
  }

  public GeneratorOptions withFraudRate(double value) {
    return new GeneratorOptions(rows, cards, value, start, span, files, seed, amountShift, foreignRate, epochMillisRate,
        foreignTestingShare, batch);
  }

  public GeneratorOptions withDrift(double amountShiftValue, double foreignRateValue) {
    return new GeneratorOptions(rows, cards, fraudRate, start, span, files, seed, amountShiftValue, foreignRateValue,
        epochMillisRate, foreignTestingShare, batch);
  }

  /** Makes {@code share} of the fraud episodes foreign card-testing sweeps (see the generator). */
  public GeneratorOptions withForeignTestingShare(double share) {
    return new GeneratorOptions(rows, cards, fraudRate, start, span, files, seed, amountShift, foreignRate, epochMillisRate,
        share, batch);
  }

  /** Batch {@code number} of the same cards (see {@code batch}). */
  public GeneratorOptions withBatch(int number) {
    return new GeneratorOptions(rows, cards, fraudRate, start, span, files, seed, amountShift, foreignRate, epochMillisRate,
        foreignTestingShare, number);
  }

  public GeneratorOptions withSpan(Duration value) {
    return new GeneratorOptions(rows, cards, fraudRate, start, value, files, seed, amountShift, foreignRate, epochMillisRate,
        foreignTestingShare, batch);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new FraudLakeException(message);
    }
  }
}
