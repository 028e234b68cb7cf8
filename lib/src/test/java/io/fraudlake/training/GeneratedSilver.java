package io.fraudlake.training;

import io.fraudlake.generate.GeneratorOptions;
import io.fraudlake.generate.TransactionGenerator;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.testing.Pipelines;
import java.time.Duration;
import java.time.Instant;

/** Silver made the way users make it: the generator's landing files through the bronze and silver jobs. */
public final class GeneratedSilver {
  private GeneratedSilver() {}

  /** {@code rows} generated transactions over 12 hours of event time, through bronze and silver. */
  public static void write(Lakehouse lakehouse, long rows, long seed) {
    GeneratorOptions options = GeneratorOptions.of(rows, Instant.parse("2024-05-01T00:00:00Z"), seed)
        .withSpan(Duration.ofHours(12))
        .withFiles(2);
    new TransactionGenerator(options).writeTo(lakehouse.config().landingDir(), "test" + seed);
    Pipelines.bronzeOnce(lakehouse);
    Pipelines.silverOnce(lakehouse);
  }
}
