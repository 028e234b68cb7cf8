package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.KafkaLines;
import io.fraudlake.bronze.BronzeStats;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.StreamProgress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.streaming.StreamingQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bronze", mixinStandardHelpOptions = true,
    description = "Ingest landing JSON lines (files in the landing folder, or records of a Kafka topic) into "
        + "bronze_transactions; bad lines go to bronze_quarantine.")
final class BronzeCommand extends FraudLakeCommand {
  @Option(names = "--once",
      description = "Ingest what is there now (files, or records up to the topic's end), then stop (default: keep running, Ctrl-C stops).")
  boolean once;

  @Mixin SourceChoice source;

  @Override
  Map<String, String> configOverrides() {
    return source.overrides();
  }

  @Override
  int run(JobContext context) {
    long started = System.nanoTime();
    BronzeJob job = new BronzeJob(context.lakehouse());
    try (JobLeases leases = leaseCheckpoints(context, List.of(BronzeJob.QUERY_NAME));
         StreamProgress progress = StreamProgress.attach(context.spark(), BronzeJob.QUERY_NAME, System.out)) {
      for (int start = 1; ; start++) {
        try {
          if (once) {
            job.runAvailableNow();
          } else {
            StreamingQuery query = job.start(BronzeJob.processingTrigger(context.config().duration("bronze.trigger")));
            if (start == 1) {
              System.out.println("bronze: watching " + BronzeJob.describeSource(context.config()) + " (Ctrl-C stops)");
            }
            Streams.stopOnSignal(query);
            Lakehouse.awaitTermination(query);
          }
          break;
        } catch (FraudLakeException e) {
          if (start > 1 || !KafkaLines.isMetricsFailureAfterRestart(e)) {
            throw e;
          }
          System.err.println("bronze: " + KafkaLines.RESTART_NOTE);
        }
      }
    }
    System.out.println(summary(job.stats(), started));
    return 0;
  }

  private static String summary(BronzeStats stats, long started) {
    return stats.summary() + String.format(Locale.ROOT, " in %.1f s", (System.nanoTime() - started) / 1e9);
  }
}
