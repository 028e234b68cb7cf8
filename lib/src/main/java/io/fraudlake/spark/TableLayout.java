package io.fraudlake.spark;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * How each contract table is laid out on disk for the queries run on it: the columns Delta's liquid
 * clustering keeps close together. OPTIMIZE rewrites a clustered table's files so that each covers a
 * narrow range of those columns, and Delta's file statistics then skip every file a filter on them
 * rules out: an hour of event time, one card, one feature.
 *
 * <p>Event tables are clustered by event time first (dashboards and replays ask for a time range),
 * then by card (a card's history, the late events' look-ups in silver); the monitoring tables by the
 * time of the batch they describe.
 */
public final class TableLayout {
  private static final Map<String, List<String>> CLUSTERING = Map.of(
      Tables.BRONZE, List.of("event_timestamp", "card_id"),
      Tables.QUARANTINE, List.of("ingested_at"),
      Tables.SILVER, List.of("event_timestamp", "card_id"),
      Tables.GOLD, List.of("event_timestamp", "card_id"),
      Tables.BATCH_METRICS, List.of("scored_at"),
      Tables.FEATURE_DRIFT, List.of("window_end", "feature"));

  private TableLayout() {}

  /** The clustering columns of a contract table; none for any other table. */
  public static List<String> clusteringColumns(String table) {
    return CLUSTERING.getOrDefault(table, List.of());
  }

  /**
   * The clustering columns a table with this schema gets: all of its layout's, or none when the
   * schema lacks one of them (a table of another shape under a contract name stays unclustered
   * rather than clustered by half its key).
   */
  public static List<String> clusteringFor(String table, StructType schema) {
    List<String> wanted = clusteringColumns(table);
    Set<String> present = Set.of(schema.fieldNames());
    return present.containsAll(wanted) ? wanted : List.of();
  }

  /** The clustering columns an existing table has now (empty: not clustered). */
  public static List<String> currentClustering(Lakehouse lakehouse, String table) {
    Row detail = lakehouse.deltaTable(table).detail().select("clusteringColumns").first();
    return detail.isNullAt(0) ? List.of() : detail.getList(0).stream().map(String::valueOf).toList();
  }

  /** Whether an existing table is clustered as {@link #clusteringFor} says (column order aside, which Delta ignores). */
  public static boolean isApplied(Lakehouse lakehouse, String table) {
    List<String> wanted = clusteringFor(table, lakehouse.read(table).schema());
    List<String> current = currentClustering(lakehouse, table);
    return Set.copyOf(wanted).equals(Set.copyOf(current)) && wanted.size() == current.size();
  }

  /** {@code (a, b)}, as CLUSTER BY takes the columns. */
  static String columnList(List<String> columns) {
    return "(" + String.join(", ", columns.stream().map(c -> "`" + c + "`").toArray(String[]::new)) + ")";
  }

  /** The SQL that clusters an existing table by its layout's columns (metadata only: no row is rewritten). */
  public static String alterStatement(Lakehouse lakehouse, String table, List<String> columns) {
    return "ALTER TABLE " + lakehouse.sqlRef(table) + " CLUSTER BY " + columnList(columns);
  }
}
