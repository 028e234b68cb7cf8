package io.fraudlake.jobs;

import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ModelSources;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.spark.StreamProgress;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {
        "Runs the live pipeline: landing → bronze → silver → gold as three streams in one application, "
            + "so an event dropped into the landing folder comes out scored in fraud_predictions.",
        "Each stage keeps its own checkpoint (the same as the bronze, silver and score commands); Ctrl-C stops all three."})
final class RunCommand extends FraudLakeCommand {
  @Option(names = "--trigger", paramLabel = "DURATION",
      description = "Micro-batch interval for all three stages, e.g. 1s (default: bronze.trigger, silver.trigger, scoring.trigger).")
  String trigger;

  @Option(names = "--model", paramLabel = "URI",
      description = "Registry model URI (default: models:/<model.name>@<scoring.alias>).")
  String modelUri;

  @Override
  Map<String, String> configOverrides() {
    Map<String, String> implied = new LinkedHashMap<>();
    if (trigger != null) {
      implied.put("bronze.trigger", trigger);
      implied.put("silver.trigger", trigger);
      implied.put("scoring.trigger", trigger);
    }
    return implied;
  }

  @Override
  int run(JobContext context) {
    ProductionModel model = ProductionModel.load(
        ModelSources.choose(context.config(), null, modelUri, System.getenv()),
        context.config().duration("scoring.alias-check-interval"));
    ScoringStatus status = ScoringStatus.console();
    try (StreamProgress bronze = StreamProgress.attach(context.spark(), "bronze", System.out);
         StreamProgress silver = StreamProgress.attach(context.spark(), "silver", System.out);
         LivePipeline pipeline = LivePipeline.start(context.lakehouse(), model, status)) {
      System.out.println("run: watching " + context.config().landingDir() + " → fraud_predictions (Ctrl-C stops)");
      Runtime.getRuntime().addShutdownHook(new Thread(pipeline::close, "fraudlake-stop-pipeline"));
      pipeline.awaitTermination();
    } finally {
      status.finish();
    }
    return 0;
  }
}
