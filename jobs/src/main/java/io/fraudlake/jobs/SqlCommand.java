package io.fraudlake.jobs;

import io.fraudlake.sql.ResultFormat;
import io.fraudlake.sql.RowLimit;
import io.fraudlake.sql.SqlRunner;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sql", mixinStandardHelpOptions = true,
    description = "Run a SQL statement or a SQL notebook over the FraudLake tables and print the results.")
final class SqlCommand extends FraudLakeCommand {
  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--query", paramLabel = "SQL", description = "The SQL to run (several statements separated by ';').")
    String query;

    @Option(names = "--file", paramLabel = "FILE",
        description = "A .sql file or Databricks source-format SQL notebook (cells split by '-- COMMAND ----------').")
    Path file;
  }

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
      description = "Output format: table, csv or json (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--limit", paramLabel = "N|all", defaultValue = "100",
      description = "Rows printed per result at most; 0 or all prints every row (csv and json stream them; "
          + "the table format shows at most " + SqlRunner.TABLE_MAX_ROWS + ") (default: ${DEFAULT-VALUE}).")
  String limit;

  @Override
  int run(JobContext context) {
    ResultFormat resultFormat = ResultFormat.parse(format);
    RowLimit rowLimit = RowLimit.parse(limit);
    String text = source.query != null ? source.query : SqlRunner.readFile(source.file);
    new SqlRunner(context.lakehouse(), resultFormat, rowLimit, System.out).run(text);
    return 0;
  }
}
