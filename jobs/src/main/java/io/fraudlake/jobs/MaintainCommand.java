package io.fraudlake.jobs;

import io.fraudlake.maintenance.MaintenanceReport;
import io.fraudlake.maintenance.TableMaintenance;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "maintain", mixinStandardHelpOptions = true,
    description = {
        "Keeps the FraudLake tables fast to query: clusters a table created before the tables were clustered "
            + "(once, while none of its writers runs), then OPTIMIZE (small files into large clustered ones), "
            + "VACUUM (files out of the table for longer than maintenance.vacuum-retention, and never one a lagging "
            + "stream, a replay or a gold horizon still needs) and a Delta checkpoint, table by table.",
        "Safe while the streams run: OPTIMIZE changes no data, so appends and stream readers go on beside it."})
final class MaintainCommand extends FraudLakeCommand {
  @Option(names = "--table", paramLabel = "TABLE",
      description = "Only this table (repeatable; default: every FraudLake table that exists).")
  List<String> tables = new ArrayList<>();

  @Option(names = "--no-vacuum", description = "Compact and checkpoint, but delete no files.")
  boolean noVacuum;

  @Override
  int run(JobContext context) {
    MaintenanceReport report = new TableMaintenance(context.lakehouse()).run(tables, !noVacuum);
    System.out.print(report.text());
    return 0;
  }
}
