package io.fraudlake.maintenance;

import io.delta.exceptions.DeltaConcurrentModificationException;
import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeJob;
import io.fraudlake.pipeline.LivePipeline;
import io.fraudlake.scoring.ScoringStream;
import io.fraudlake.silver.SilverJob;
import io.fraudlake.spark.DeltaCheckpoints;
import io.fraudlake.spark.DeltaCompaction;
import io.fraudlake.spark.JobLeases;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.TableLayout;
import io.fraudlake.spark.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maintain}: for each FraudLake table, the layout migration (once), OPTIMIZE, VACUUM and a
 * Delta checkpoint, safe while the streams run.
 * <ul>
 *   <li><b>Layout.</b> A table created before the tables were clustered gets its clustering columns
 *       ({@code ALTER TABLE ... CLUSTER BY}: metadata only, every row stays where it is, the history
 *       and the streams' checkpoints stay valid) and the compaction property; OPTIMIZE then clusters
 *       its rows. A metadata change makes every append in flight fail, so the migration holds the
 *       checkpoint leases of the jobs that write the table, and waits for a later run while one runs.
 *   <li><b>OPTIMIZE</b> rewrites small files into large clustered ones in a commit that changes no
 *       data: streams reading the table skip it and appends beside it do not conflict with it. When it
 *       meets another compaction of the same files (a stream's background one), it is tried again.
 *   <li><b>VACUUM</b> with the {@link VacuumRetention} of each table: never a file a lagging stream, a
 *       replay or a gold horizon still needs.
 *   <li><b>Checkpoint</b> of the table's log after its rewrite (path mode; in catalog mode Delta
 *       checkpoints in its commits), so readers start from the compacted state.
 * </ul>
 */
public final class TableMaintenance {
  private static final Logger LOG = LoggerFactory.getLogger(TableMaintenance.class);
  private static final int OPTIMIZE_ATTEMPTS = 5;
  private static final String JOB = "maintain";
  static final String LISTING_PARALLELISM = "spark.sql.sources.parallelPartitionDiscovery.parallelism";
  /** The streaming jobs whose checkpoints a table's writers hold: none of them may append while its layout changes. */
  private static final Map<String, List<String>> WRITERS = Map.of(
      Tables.BRONZE, List.of(BronzeJob.QUERY_NAME, LivePipeline.QUERY_NAME),
      Tables.QUARANTINE, List.of(BronzeJob.QUERY_NAME, LivePipeline.QUERY_NAME),
      Tables.SILVER, List.of(SilverJob.QUERY_NAME, LivePipeline.QUERY_NAME),
      Tables.GOLD, List.of(ScoringStream.QUERY_NAME, LivePipeline.QUERY_NAME),
      Tables.BATCH_METRICS, List.of(ScoringStream.QUERY_NAME, LivePipeline.QUERY_NAME),
      Tables.FEATURE_DRIFT, List.of(ScoringStream.QUERY_NAME, LivePipeline.QUERY_NAME));

  private final Lakehouse lakehouse;

  public TableMaintenance(Lakehouse lakehouse) {
    this.lakehouse = lakehouse;
  }

  /** Maintains {@code tables} (contract names; empty: every FraudLake table that exists), one after the other. */
  public MaintenanceReport run(List<String> tables, boolean vacuum) {
    for (String table : tables) {
      if (!Tables.ALL.contains(table)) {
        throw new FraudLakeException("no FraudLake table " + table + " (the tables: " + String.join(", ", Tables.ALL) + ")");
      }
    }
    Duration retention = VacuumRetention.configured(lakehouse.config());
    List<String> chosen = (tables.isEmpty() ? Tables.ALL : tables).stream().filter(lakehouse::exists).toList();
    List<VacuumRetention.Need> needs = vacuum ? VacuumRetention.needs(lakehouse) : List.of();
    long started = System.nanoTime();
    List<MaintenanceReport.TableReport> reports = new ArrayList<>();
    for (String table : chosen) {
      reports.add(maintain(table, vacuum ? VacuumRetention.decide(retention, needs, table, Instant.now()) : null));
    }
    return new MaintenanceReport(reports, (System.nanoTime() - started) / 1e9);
  }

  private MaintenanceReport.TableReport maintain(String table, VacuumRetention.Decision vacuum) {
    long started = System.nanoTime();
    Row before = detail(table);
    long diskBefore = filesOnDisk(table);
    String layout = applyLayout(table);
    optimize(table);
    Row optimized = detail(table);
    String vacuumSkipped = null;
    if (vacuum != null) {
      Duration tracked = VacuumRetention.tracked(lakehouse, table);
      if (vacuum.retention().compareTo(tracked) > 0) {
        // Delta has already dropped the removals older than that from the table's state: VACUUM would delete
        // those files whatever RETAIN says, so it does not run until the need is back within the table's window.
        vacuumSkipped = "the table tracks removed files for " + VacuumRetention.describe(tracked)
            + " only (delta.deletedFileRetentionDuration)";
        LOG.warn("{}: VACUUM not run: it must keep {} ({}), and {}", table, VacuumRetention.describe(vacuum.retention()),
            vacuum.reason(), vacuumSkipped);
      } else {
        vacuum(lakehouse.spark(), "VACUUM " + lakehouse.sqlRef(table) + " RETAIN " + vacuum.hours() + " HOURS");
      }
    }
    long checkpointVersion = -1;
    if (!lakehouse.catalogMode()) {
      DeltaCheckpoints.writeNow(lakehouse.spark(), lakehouse.path(table).toString());
      checkpointVersion = lakehouse.latestVersion(table);
    }
    long diskAfter = filesOnDisk(table);
    return new MaintenanceReport.TableReport(table, layout, before.getLong(0), before.getLong(1), optimized.getLong(0),
        optimized.getLong(1), diskBefore, diskAfter, vacuum, vacuumSkipped, checkpointVersion, (System.nanoTime() - started) / 1e9);
  }

  /**
   * Clusters a table created before it had its layout, and gives it the properties a new table gets;
   * returns what its layout is now, in words.
   */
  public String applyLayout(String table) {
    List<String> wanted = TableLayout.clusteringFor(table, lakehouse.read(table).schema());
    String columns = "(" + String.join(", ", wanted) + ")";
    if (wanted.isEmpty()) {
      return "not clustered (its columns are not the contract's)";
    }
    if (TableLayout.isApplied(lakehouse, table)) {
      return "clustered by " + columns;
    }
    try (JobLeases writers = JobLeases.onCheckpoints(lakehouse, JOB, WRITERS.get(table))) {
      lakehouse.spark().sql(TableLayout.alterStatement(lakehouse, table, wanted));
      Map<String, String> properties = lakehouse.maintenanceProperties(table);
      properties.keySet().retainAll(List.of(DeltaCompaction.EVERY_PROPERTY, "delta.autoOptimize.autoCompact"));
      if (!properties.isEmpty()) {
        lakehouse.spark().sql("ALTER TABLE " + lakehouse.sqlRef(table) + " SET TBLPROPERTIES (" + properties.entrySet().stream()
            .map(p -> "'" + p.getKey() + "' = '" + p.getValue() + "'").collect(Collectors.joining(", ")) + ")");
      }
      LOG.info("{}: clustered by {} (was not clustered); OPTIMIZE clusters its rows", table, columns);
      return "clustered by " + columns + " now (migrated)";
    } catch (FraudLakeException busy) {
      // A writer is running: the table is compacted all the same, and clustered by a later run.
      return "not clustered yet: " + busy.getMessage();
    }
  }

  /** OPTIMIZE, tried again when another compaction of the same files commits first. */
  public void optimize(String table) {
    for (int attempt = 1; ; attempt++) {
      try {
        lakehouse.spark().sql("OPTIMIZE " + lakehouse.sqlRef(table)).collect();
        return;
      } catch (DeltaConcurrentModificationException e) {
        if (attempt == OPTIMIZE_ATTEMPTS) {
          throw new FraudLakeException("OPTIMIZE of " + table + " met a concurrent change " + attempt + " times: " + e.getMessage(), e);
        }
        LOG.info("{}: OPTIMIZE met a concurrent change ({}); trying again", table, e.getClass().getSimpleName());
      }
    }
  }

  /**
   * Runs a VACUUM statement and returns its rows. VACUUM lists the table's folder in as many Spark
   * tasks as {@value #LISTING_PARALLELISM} says, 10,000 unless the session sets it. FraudLake's
   * tables are clustered, not partitioned: their data files sit in one folder, so nearly all of those
   * tasks list nothing, and scheduling them costs tens of seconds per table on a small cluster. Unless
   * the session sets it, VACUUM gets one listing task per core of the cluster.
   */
  static List<Row> vacuum(SparkSession spark, String statement) {
    RuntimeConfig conf = spark.conf();
    boolean perCore = !conf.contains(LISTING_PARALLELISM);
    if (perCore) {
      conf.set(LISTING_PARALLELISM, Integer.toString(spark.sparkContext().defaultParallelism()));
    }
    try {
      return spark.sql(statement).collectAsList();
    } finally {
      if (perCore) {
        conf.unset(LISTING_PARALLELISM);
      }
    }
  }

  /** numFiles and sizeInBytes of the table's current version. */
  private Row detail(String table) {
    return lakehouse.deltaTable(table).detail().select("numFiles", "sizeInBytes").first();
  }

  /** Data files in the table's folder, whether the table uses them or not (-1 in catalog mode). */
  private long filesOnDisk(String table) {
    if (lakehouse.catalogMode()) {
      return -1;
    }
    Path dir = lakehouse.path(table);
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.startsWith(dir.resolve("_delta_log")) && p.getFileName().toString().endsWith(".parquet")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
