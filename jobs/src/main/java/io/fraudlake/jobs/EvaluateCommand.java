package io.fraudlake.jobs;

import io.fraudlake.iforest.evaluation.ForestEvaluation;
import io.fraudlake.iforest.evaluation.InputTable;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = "Fit and score an isolation forest on a labelled CSV, Parquet or Delta table and report "
        + "AUROC, AUPRC, training time and scoring speed (mean and std over --repeats seeds).")
final class EvaluateCommand extends FraudLakeCommand {
  @Option(names = "--input", required = true, paramLabel = "FILE_OR_TABLE",
      description = "CSV file (header optional; '#' lines are comments), Parquet, Delta folder or table name.")
  String input;

  @Option(names = "--format", defaultValue = "auto", paramLabel = "FORMAT",
      description = "auto (default: by extension or _delta_log), csv, parquet, delta or table.")
  InputTable.Format format;

  @Option(names = "--label", required = true, paramLabel = "COL",
      description = "0/1 label column (1 = anomaly). A CSV without header names columns _c0, _c1, ...")
  String label;

  @Option(names = "--features", split = ",", paramLabel = "a,b,...",
      description = "Feature columns (default: every numeric column except the label).")
  List<String> features;

  @Option(names = "--trees", defaultValue = "100", description = "Trees per forest (default: ${DEFAULT-VALUE}).")
  int trees;

  @Option(names = "--samples", defaultValue = "256", description = "Rows per tree, ψ (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--seed", defaultValue = "1", description = "First seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--repeats", defaultValue = "5",
      description = "Fits with seeds seed, seed+1, ... (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--json", paramLabel = "OUT", description = "Also write the results as JSON here.")
  Path json;

  @Override
  int run(JobContext context) {
    ForestEvaluation.Report report = ForestEvaluation.run(context.spark(), new ForestEvaluation.Options(
        input, format, label, features, trees, samples, seed, repeats));
    System.out.println(report.toText());
    if (json != null) {
      report.writeJson(json);
      System.out.println("wrote " + json);
    }
    return 0;
  }
}
