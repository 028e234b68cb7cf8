package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.silver.SilverStats;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.StreamProgress;
import io.fraudlake.spark.Tables;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.streaming.StreamingQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "silver", mixinStandardHelpOptions = true,
    description = "Deduplicate bronze and compute the 8 features into silver_transactions_base.")
final class SilverCommand extends FraudLakeCommand {
  @Option(names = "--once", description = "Process what bronze holds now, then stop (default: keep running, Ctrl-C stops).")
  boolean once;

  @Option(names = "--batch",
      description = "Rebuild silver from all of bronze as one batch job (overwrites the table; refused while the silver stream or run runs).")
  boolean batch;

  @Override
  int run(JobContext context) {
    if (once && batch) {
      throw new FraudLakeException("--once and --batch exclude each other: --once continues the stream, --batch rebuilds");
    }
    long started = System.nanoTime();
    SilverJob job = new SilverJob(context.lakehouse());
    // The batch rebuild holds the stream's lease too: it replaces the table whose rows that checkpoint accounts for.
    try (JobLeases leases = leaseCheckpoints(context, List.of(SilverJob.QUERY_NAME))) {
      if (batch) {
        SilverStats stats = job.runBatch(Tables.SILVER);
        System.out.println(stats.summary(false) + elapsed(started));
        return 0;
      }
      try (StreamProgress progress = StreamProgress.attach(context.spark(), SilverJob.QUERY_NAME, System.out)) {
        if (once) {
          job.runAvailableNow();
        } else {
          StreamingQuery query = job.start(org.apache.spark.sql.streaming.Trigger.ProcessingTime(
              context.config().duration("silver.trigger").toMillis()));
          System.out.println("silver: following bronze_transactions (Ctrl-C stops)");
          Streams.stopOnSignal(query);
          Lakehouse.awaitTermination(query);
        }
      }
    }
    job.stats().setWaiting(job.pendingCount());
    System.out.println(job.stats().summary(true) + elapsed(started));
    if (job.stats().waiting() > 0) {
      System.out.println("silver: the waiting rows are within features.lateness ("
          + context.config().string("features.lateness") + ") of the newest event; they are written once newer events move the watermark");
    }
    return 0;
  }

  private static String elapsed(long started) {
    return String.format(Locale.ROOT, " in %.1f s", (System.nanoTime() - started) / 1e9);
  }
}
