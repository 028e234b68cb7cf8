package io.fraudlake.jobs;

import io.fraudlake.FraudLakeException;
import io.fraudlake.monitoring.StreamMetrics;
import io.fraudlake.scoring.BatchScoring;
import io.fraudlake.scoring.ProductionModel;
import io.fraudlake.scoring.ScoringStatus;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.streaming.StreamingQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "score", mixinStandardHelpOptions = true,
    description = {
        "Scores silver_transactions_base into the gold table fraud_predictions with the production model "
            + "(models:/fraud_isolation_forest@prod), exactly once: streaming by default, --once for what is there now, "
            + "--batch --input for a one-pass backfill of any table.",
        "Rows, anomalies, model version and lag of every batch go to fraud_batch_metrics and to a live status line; "
            + "the PSI of each feature against the model's training data to fraud_feature_drift (batches of at least "
            + "monitoring.min-drift-rows rows)."})
final class ScoreCommand extends FraudLakeCommand {
  @Option(names = "--once", description = "Score what silver holds now (available-now trigger) and stop.")
  boolean once;

  @Option(names = "--batch", description = "Score a whole table in one pass (backfill); needs --input.")
  boolean batch;

  @Option(names = "--input", paramLabel = "TABLE_OR_PATH",
      description = "With --batch: a table name or a Delta/Parquet/CSV path holding the 8 features and the gold columns.")
  String input;

  @Option(names = "--output", paramLabel = "TABLE",
      description = "With --batch: the table to write (default: fraud_predictions).")
  String output;

  @Mixin ModelChoice modelChoice;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics (GET /metrics) on this port while the stream runs; 0 = none "
          + "(default: monitoring.metrics-port, on monitoring.metrics-host).")
  Integer metricsPort;

  @Option(names = "--reset",
      description = "Delete the scoring checkpoint first. Gold keeps its rows; transactions already in gold are skipped, not rescored.")
  boolean reset;

  @Override
  Map<String, String> configOverrides() {
    return metricsPort == null ? Map.of() : Map.of(StreamMetrics.PORT_KEY, metricsPort.toString());
  }

  @Override
  int run(JobContext context) {
    if (batch && (once || reset || metricsPort != null)) {
      throw new FraudLakeException("--batch cannot be combined with --once, --reset or --metrics-port");
    }
    if (!batch && (input != null || output != null)) {
      throw new FraudLakeException("--input and --output need --batch");
    }
    if (batch && input == null) {
      throw new FraudLakeException("--batch needs --input TABLE_OR_PATH");
    }
    modelChoice.check();
    Lakehouse lakehouse = context.lakehouse();
    if (batch) {
      BatchScoring.Result result = BatchScoring.run(lakehouse, model(context).current(), input, output == null ? Tables.GOLD : output);
      System.out.printf("score: %d rows of %s scored with %s: %d new in %s, %d were already there%n",
          result.inputRows(), result.input(), result.model(), result.inserted(), result.output(), result.alreadyPresent());
      return 0;
    }
    // Before the model is fetched, so a second scoring process fails at once; and before a reset deletes the checkpoint.
    try (JobLeases leases = leaseCheckpoints(context, List.of(ScoringStream.QUERY_NAME))) {
      ScoringStatus status = ScoringStatus.console();
      // Before the model is fetched too, so a port in use fails at once.
      try (StreamMetrics metrics = Streams.serveMetrics(context.config(), ScoringStream.QUERY_NAME, status)) {
        ProductionModel model = model(context);
        if (reset) {
          ScoringStream.reset(lakehouse);
        }
        StreamingQuery query = new ScoringStream(lakehouse, model, status).start(once);
        Streams.stopOnSignal(query);
        ScoringStream.await(query, status);
        System.out.printf("score: %d rows in %d batches, %d anomalies, into %s%n",
            status.rows(), status.batches(), status.anomalies(), lakehouse.qualifiedName(Tables.GOLD));
      }
    }
    return 0;
  }

  private ProductionModel model(JobContext context) {
    return ProductionModel.load(modelChoice.source(context.config()),
        context.config().duration("scoring.alias-check-interval"));
  }
}
