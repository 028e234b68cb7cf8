package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.bronze.KafkaLines;
import io.fraudlake.monitoring.StreamMetrics;
import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.StreamProgress;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Runs the live pipeline: landing → bronze → silver → gold as one stream, each micro-batch ingesting, "
            + "computing features and scoring, so an event dropped into the landing folder comes out scored in fraud_predictions within seconds.",
        "It keeps its state in checkpoints/run and holds the leases of bronze, silver and score too, so none of those "
            + "streams runs beside it on the same lakehouse; Ctrl-C stops it."})
final class RunCommand extends FraudLakeCommand {
  @Option(names = "--trigger", paramLabel = "DURATION",
      description = "Micro-batch interval, e.g. 1s (default: run.trigger).")
  String trigger;

  @Mixin ModelChoice modelChoice;

  @Mixin SourceChoice source;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics (GET /metrics) on this port while the stream runs; 0 = none "
          + "(default: monitoring.metrics-port, on monitoring.metrics-host).")
  Integer metricsPort;

  @Override
  Map<String, String> configOverrides() {
    Map<String, String> implied = new LinkedHashMap<>(source.overrides());
    if (trigger != null) {
      implied.put("run.trigger", trigger);
    }
    if (metricsPort != null) {
      implied.put(StreamMetrics.PORT_KEY, metricsPort.toString());
    }
    return implied;
  }

  @Override
  int run(JobContext context) {
    modelChoice.check();
    // The session first: loading a Spark ML model needs one, with this command's master and settings.
    Lakehouse lakehouse = context.lakehouse();
    // Before the model is fetched, so a second writer fails at once.
    try (JobLeases leases = leaseCheckpoints(context, LivePipeline.LEASED_CHECKPOINTS)) {
      ScoringStatus status = ScoringStatus.console();
      // Before the model is fetched too, so a port in use fails at once.
      try (StreamMetrics metrics = Streams.serveMetrics(context.config(), LivePipeline.QUERY_NAME, status)) {
        ProductionModel model = ProductionModel.load(
            modelChoice.source(context.config()),
            context.config().duration("scoring.alias-check-interval"));
        try (StreamProgress progress = StreamProgress.attach(context.spark(), LivePipeline.QUERY_NAME, System.out)) {
          for (int start = 1; ; start++) {
            try (LivePipeline pipeline = LivePipeline.start(lakehouse, model, status)) {
              if (start == 1) {
                System.out.println("run: watching " + BronzeJob.describeSource(context.config()) + " → fraud_predictions (Ctrl-C stops)");
              }
              Streams.onStopSignal(Streams.AFTER_BATCH, pipeline::close);
              pipeline.awaitTermination();
              break;
            } catch (FraudLakeException e) {
              if (start > 1 || !KafkaLines.isMetricsFailureAfterRestart(e)) {
                throw e;
              }
              System.err.println("run: " + KafkaLines.RESTART_NOTE);
            }
          }
        } finally {
          status.finish();
        }
      }
    }
    return 0;
  }
}
