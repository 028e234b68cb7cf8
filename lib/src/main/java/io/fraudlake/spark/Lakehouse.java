package io.fraudlake.spark;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;

/**
 * Where the Delta tables live. In {@code path} mode a table is a folder under
 * {@code <home>/lakehouse}; in {@code catalog} mode it is {@code catalog.schema.table}. Jobs name
 * tables by their contract names ({@link Tables}) and never build paths themselves.
 */
public final class Lakehouse {
  private static final java.util.regex.Pattern SQL_TABLE_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_]+");
  private final SparkSession spark;
  private final FraudLakeConfig config;
  private final boolean catalogMode;

  public Lakehouse(SparkSession spark, FraudLakeConfig config) {
    this.spark = spark;
    this.config = config;
    String mode = config.string("lakehouse.mode");
    if (!mode.equals("path") && !mode.equals("catalog")) {
      throw new FraudLakeException("fraudlake.lakehouse.mode must be 'path' or 'catalog', not '" + mode + "'");
    }
    this.catalogMode = mode.equals("catalog");
  }

  /** True when tables are catalog names (Databricks, a metastore), false when they are Delta folders. */
  public boolean catalogMode() {
    return catalogMode;
  }

  public SparkSession spark() {
    return spark;
  }

  public FraudLakeConfig config() {
    return config;
  }

  /** The folder of a table in path mode. */
  public Path path(String table) {
    if (catalogMode) {
      throw new IllegalStateException("table " + table + " is a catalog table, it has no local path");
    }
    return config.lakehouseDir().resolve(table);
  }

  /** The name SQL users write: the plain table name locally, catalog.schema.table on Databricks. */
  public String qualifiedName(String table) {
    if (!catalogMode) {
      return table;
    }
    String catalog = config.string("lakehouse.catalog");
    String schema = config.string("lakehouse.schema");
    return (catalog.isEmpty() ? "" : catalog + ".") + (schema.isEmpty() ? "" : schema + ".") + table;
  }

  public Path checkpoint(String queryName) {
    return config.checkpointsDir().resolve(queryName);
  }

  public boolean exists(String table) {
    if (catalogMode) {
      return spark.catalog().tableExists(qualifiedName(table));
    }
    return DeltaTable.isDeltaTable(spark, path(table).toString());
  }

  public Dataset<Row> read(String table) {
    requireExists(table);
    return catalogMode ? spark.read().table(qualifiedName(table)) : spark.read().format("delta").load(path(table).toString());
  }

  /** A table as it was at one commit (Delta time travel). */
  public Dataset<Row> readVersion(String table, long version) {
    requireExists(table);
    if (catalogMode) {
      return spark.sql("SELECT * FROM " + qualifiedName(table) + " VERSION AS OF " + version);
    }
    return spark.read().format("delta").option("versionAsOf", version).load(path(table).toString());
  }

  /** The table's newest version. */
  public long latestVersion(String table) {
    return deltaTable(table).history(1).select("version").first().getLong(0);
  }

  public DeltaTable deltaTable(String table) {
    requireExists(table);
    return catalogMode ? DeltaTable.forName(spark, qualifiedName(table)) : DeltaTable.forPath(spark, path(table).toString());
  }

  public DataStreamReader readStreamOf(String table) {
    requireExists(table);
    return spark.readStream().format("delta");
  }

  /** A streaming read of a table (which must exist: streams need a schema to start). */
  public Dataset<Row> readStream(String table) {
    DataStreamReader reader = readStreamOf(table);
    return catalogMode ? reader.table(qualifiedName(table)) : reader.load(path(table).toString());
  }

  /** Starts a stream into a Delta table; the caller has set trigger, checkpoint and output mode. */
  public StreamingQuery startStream(DataStreamWriter<Row> writer, String table) {
    try {
      return catalogMode ? writer.toTable(qualifiedName(table)) : writer.format("delta").start(path(table).toString());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new FraudLakeException("stream into " + table + " did not start: " + e.getMessage(), e);
    }
  }

  /** Appends a batch DataFrame to a table, creating it on first write. */
  public void append(Dataset<Row> rows, String table) {
    if (catalogMode) {
      rows.write().format("delta").mode("append").saveAsTable(qualifiedName(table));
    } else {
      rows.write().format("delta").mode("append").save(path(table).toString());
    }
  }

  /**
   * Creates an empty table with the given schema if it is not there yet, laid out as {@link
   * TableLayout} says (liquid clustering), checkpointed every {@link #checkpointInterval} commits and
   * compacted every {@code lakehouse.compact-every} commits: by FraudLake off the write path ({@link
   * DeltaCheckpoints}, {@link DeltaCompaction}) in path mode with {@code lakehouse.background-checkpoints},
   * otherwise by Delta inside the commit (its checkpoint interval and auto compaction).
   */
  public void createIfMissing(String table, org.apache.spark.sql.types.StructType schema) {
    if (exists(table)) {
      return;
    }
    io.delta.tables.DeltaTableBuilder builder = DeltaTable.createIfNotExists(spark).addColumns(schema);
    List<String> clustering = TableLayout.clusteringFor(table, schema);
    if (!clustering.isEmpty()) {
      builder = builder.clusterBy(clustering.toArray(String[]::new));
    }
    for (java.util.Map.Entry<String, String> property : maintenanceProperties(table).entrySet()) {
      builder = builder.property(property.getKey(), property.getValue());
    }
    if (catalogMode) {
      builder.tableName(qualifiedName(table));
    } else {
      builder.location(path(table).toString());
    }
    builder.execute();
  }

  /**
   * The table properties through which a table the jobs create is checkpointed and compacted while
   * streams write it; the layout migration sets them on tables created before.
   */
  public java.util.Map<String, String> maintenanceProperties(String table) {
    java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
    int every = checkpointInterval(table);
    int compactEvery = compactEvery();
    if (backgroundCheckpoints()) {
      properties.put("delta.checkpointInterval", Integer.toString(DeltaCheckpoints.DELTA_NEVER));
      properties.put(DeltaCheckpoints.INTERVAL_PROPERTY, Integer.toString(every));
      if (compactEvery > 0) {
        properties.put(DeltaCompaction.EVERY_PROPERTY, Integer.toString(compactEvery));
      }
    } else {
      properties.put("delta.checkpointInterval", Integer.toString(every));
      if (compactEvery > 0) {
        properties.put("delta.autoOptimize.autoCompact", "true");
      }
    }
    return properties;
  }

  /** {@code lakehouse.compact-every}: commits between two compactions of a table streams write (0: none while streaming). */
  public int compactEvery() {
    int every = config.integer("lakehouse.compact-every");
    if (every < 0) {
      throw new FraudLakeException("fraudlake.lakehouse.compact-every must be 0 (off) or a number of commits, got " + every);
    }
    return every;
  }

  /** How SQL names the table: {@code delta.`<folder>`} in path mode, its catalog name otherwise. */
  public String sqlRef(String table) {
    return catalogMode ? qualifiedName(table) : "delta.`" + path(table).toString().replace("`", "``") + "`";
  }

  /**
   * Commits between two checkpoints of a table the jobs create: {@code lakehouse.checkpoint-interval},
   * plus {@value #CHECKPOINT_STAGGER} for each contract table before it in {@link Tables#ALL}. {@code
   * run} commits to bronze, silver, gold and the monitoring tables in every micro-batch: with one
   * interval they would all be due for a checkpoint after the same micro-batch.
   */
  public int checkpointInterval(String table) {
    int interval = config.integer("lakehouse.checkpoint-interval");
    if (interval < 1) {
      throw new FraudLakeException("fraudlake.lakehouse.checkpoint-interval must be at least 1, got " + interval);
    }
    return interval + CHECKPOINT_STAGGER * Math.max(0, Tables.ALL.indexOf(table));
  }

  private static final int CHECKPOINT_STAGGER = 7;

  /** Whether tables created now are checkpointed by {@link DeltaCheckpoints} (path mode only: a catalog's tables are its own). */
  public boolean backgroundCheckpoints() {
    return !catalogMode && config.flag("lakehouse.background-checkpoints");
  }

  /**
   * Makes the tables usable in SQL by name. In path mode every Delta folder under the lakehouse is
   * registered in the session catalog (the contract tables and any other a job wrote, such as
   * {@code score --batch --output NAME}), so {@code SELECT ... FROM silver_transactions_base},
   * {@code DESCRIBE HISTORY fraud_predictions} and time travel work as on a real catalog.
   */
  public List<String> registerTables() {
    if (catalogMode) {
      return Tables.ALL.stream().filter(this::exists).toList();
    }
    List<String> tables = pathModeTables();
    for (String table : tables) {
      spark.sql("DROP TABLE IF EXISTS " + table);
      spark.sql("CREATE TABLE " + table + " USING delta LOCATION '" + path(table).toUri().toString().replace("'", "\\'") + "'");
    }
    return tables;
  }

  /** The Delta folders under the lakehouse: the contract tables first (in their order), then the others by name. */
  private List<String> pathModeTables() {
    Path dir = config.lakehouseDir();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    Comparator<String> contractFirst = Comparator.comparingInt(
        (String name) -> Tables.ALL.contains(name) ? Tables.ALL.indexOf(name) : Tables.ALL.size())
        .thenComparing(Comparator.naturalOrder());
    try (Stream<Path> folders = Files.list(dir)) {
      return folders.filter(Files::isDirectory)
          .map(folder -> folder.getFileName().toString())
          // Spark's session catalog takes letters, digits and '_' only; another folder stays readable by
          // path (delta.`<folder>`).
          .filter(name -> SQL_TABLE_NAME.matcher(name).matches() && exists(name))
          .sorted(contractFirst)
          .toList();
    } catch (IOException e) {
      throw new FraudLakeException("cannot list the tables in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void requireExists(String table) {
    if (!exists(table)) {
      String where = catalogMode ? qualifiedName(table) : path(table).toString();
      throw new FraudLakeException("table " + table + " does not exist yet (" + where + "); run the job that writes it first");
    }
  }

  /** Blocks until a stream ends, turning its failure into a one-line error. */
  public static void awaitTermination(StreamingQuery query) {
    try {
      query.awaitTermination();
    } catch (StreamingQueryException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new FraudLakeException("stream " + query.name() + " failed: " + failureMessage(cause), e);
    }
  }

  /**
   * What to tell the user about a failure: the message of the outermost FraudLake error in the chain
   * (written for users, it names what failed and carries its cause), else the root cause's message.
   */
  public static String failureMessage(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof FraudLakeException) {
        return c.getMessage();
      }
    }
    return rootMessage(t);
  }

  public static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
