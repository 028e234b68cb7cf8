package io.fraudlake.maintenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import io.fraudlake.scoring.GoldHorizon;
import io.fraudlake.scoring.ScoringCheckpoint;
import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.IntervalUtils;
import org.apache.spark.sql.functions;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long VACUUM must keep the files a table no longer uses. VACUUM deletes a file once it has been
 * out of the table longer than the retention; OPTIMIZE (the background compaction's and {@code
 * maintain}'s) takes every small file out of the table as it rewrites it. The files stay needed by:
 * <ul>
 *   <li>a stream reading the table as a Delta source ({@code score} reads silver, {@code silver} reads
 *       bronze): its checkpoint names the version it has read up to, and it goes on from the files
 *       added after it, however long it was stopped;
 *   <li>a batch waiting for its replay (a stream stopped in the middle of one): the silver stream's
 *       replay reads silver as it was before the batch, by time travel;
 *   <li>a scoring query's gold horizon: it skips the transactions gold held at one version, read by
 *       time travel whenever a batch's event times fall in that version's range.
 * </ul>
 * Files removed after a version was committed are all that version's readers can miss, so a table
 * keeps them for at least as long as its oldest needed version is old. Beyond those, the retention is
 * {@code maintenance.vacuum-retention}: never under Delta's default of 7 days, nor under {@code
 * maintenance.replay-horizon}, the time a stopped stream may take to come back.
 *
 * <p>VACUUM never touches the table's log ({@code _delta_log}): the commit history the exactly-once
 * appends look their tags up in is Delta's to expire ({@code delta.logRetentionDuration}, 30 days),
 * and {@code maintain} changes none of it.
 */
public final class VacuumRetention {
  /** Delta's own default retention ({@code delta.deletedFileRetentionDuration}); VACUUM refuses less unless told not to check. */
  public static final Duration DELTA_DEFAULT = Duration.ofDays(7);
  /** Added to a reader's need: commit times come from file times, and clocks of writers and of {@code maintain} may differ. */
  static final Duration CLOCK_SLACK = Duration.ofHours(1);
  private static final Logger LOG = LoggerFactory.getLogger(VacuumRetention.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A table's files removed after {@code since} are still needed, for {@code reason}. */
  public record Need(String table, Instant since, String reason) {}

  /** The retention VACUUM gets for one table, and what set it. */
  public record Decision(Duration retention, String reason) {
    public long hours() {
      return retention.toHours();
    }
  }

  private VacuumRetention() {}

  /** {@code maintenance.vacuum-retention}, refused with one line when it is shorter than Delta's default or the replay horizon. */
  public static Duration configured(FraudLakeConfig config) {
    Duration retention = config.duration("maintenance.vacuum-retention");
    Duration horizon = config.duration("maintenance.replay-horizon");
    if (retention.compareTo(DELTA_DEFAULT) < 0) {
      throw new FraudLakeException("fraudlake.maintenance.vacuum-retention must be at least 7 days (Delta's default retention, "
          + "which time travel and lagging streams rely on), got " + describe(retention));
    }
    if (retention.compareTo(horizon) < 0) {
      throw new FraudLakeException("fraudlake.maintenance.vacuum-retention (" + describe(retention)
          + ") must not be shorter than fraudlake.maintenance.replay-horizon (" + describe(horizon) + ")");
    }
    return retention;
  }

  /** The retention for {@code table}: the configured one, or longer when a need reaches further back. */
  public static Decision decide(Duration configured, List<Need> needs, String table, Instant now) {
    Decision decision = new Decision(roundUpToHours(configured), "maintenance.vacuum-retention");
    for (Need need : needs) {
      if (!need.table().equals(table)) {
        continue;
      }
      Duration needed = roundUpToHours(Duration.between(need.since(), now).plus(CLOCK_SLACK));
      if (needed.compareTo(decision.retention()) > 0) {
        decision = new Decision(needed, need.reason());
      }
    }
    return decision;
  }

  /**
   * How long the table keeps track of the files it removed ({@code delta.deletedFileRetentionDuration},
   * 7 days unless set). Delta drops older removals from the table's state, and VACUUM then deletes
   * those files whatever retention it is given: a longer retention than this cannot be honoured.
   */
  public static Duration tracked(Lakehouse lakehouse, String table) {
    Map<String, String> properties = lakehouse.deltaTable(table).detail().select("properties").first().getJavaMap(0);
    String value = properties.get("delta.deletedFileRetentionDuration");
    if (value == null) {
      return DELTA_DEFAULT;
    }
    CalendarInterval interval = IntervalUtils.safeStringToInterval(UTF8String.fromString(value));
    if (interval == null) {
      throw new FraudLakeException(table + ": table property delta.deletedFileRetentionDuration is not an interval: '" + value + "'");
    }
    return Duration.ofDays(30L * interval.months + interval.days).plus(Duration.ofNanos(interval.microseconds * 1000));
  }

  /** What the streams' checkpoints under {@code <home>/checkpoints} still need of the lakehouse's tables. */
  public static List<Need> needs(Lakehouse lakehouse) {
    Path checkpoints = lakehouse.config().checkpointsDir();
    if (!Files.isDirectory(checkpoints)) {
      return List.of();
    }
    Map<String, String> tableById = tablesById(lakehouse);
    List<Need> needs = new ArrayList<>();
    try (Stream<Path> folders = Files.list(checkpoints)) {
      for (Path folder : folders.filter(Files::isDirectory).sorted().toList()) {
        for (Path stream : streamCheckpoints(folder)) {
          needs.addAll(needsOf(lakehouse, folder.getFileName().toString(), stream, tableById));
        }
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot read the checkpoints in " + checkpoints + ": " + e.getMessage(), e);
    }
    return needs;
  }

  /**
   * The Spark checkpoints (folders with an {@code offsets} log) in a job's checkpoint folder: the folder
   * itself, or the folders in it (silver keeps its stream's under {@code silver/stream}).
   */
  private static List<Path> streamCheckpoints(Path folder) throws IOException {
    if (Files.isDirectory(folder.resolve("offsets"))) {
      return List.of(folder);
    }
    try (Stream<Path> inside = Files.list(folder)) {
      return inside.filter(p -> Files.isDirectory(p.resolve("offsets"))).sorted().toList();
    }
  }

  private static List<Need> needsOf(Lakehouse lakehouse, String query, Path checkpoint, Map<String, String> tableById)
      throws IOException {
    List<Need> needs = new ArrayList<>();
    long committed = newestNumbered(checkpoint.resolve("commits")).orElse(-1);
    Path pending = checkpoint.resolve("offsets").resolve(Long.toString(committed + 1));
    if (Files.isRegularFile(pending)) {
      Instant started = Files.getLastModifiedTime(pending).toInstant();
      for (String table : Tables.ALL) {
        needs.add(new Need(table, started, "batch " + (committed + 1) + " of " + query + " (started " + started
            + ") is replayed from its checkpoint"));
      }
    }
    // What a Delta source has read up to: the end offsets of the newest committed batch, or before any
    // commit those of the first batch (which reads the table as it was at that version).
    OptionalLong readUpTo = committed >= 0 ? OptionalLong.of(committed) : oldestNumbered(checkpoint.resolve("offsets"));
    if (readUpTo.isPresent()) {
      for (JsonNode source : sourceOffsets(checkpoint.resolve("offsets").resolve(Long.toString(readUpTo.getAsLong())))) {
        String table = tableById.get(source.path("reservoirId").asText());
        if (table == null || !source.path("reservoirVersion").canConvertToLong()) {
          continue;
        }
        long version = source.path("reservoirVersion").asLong();
        commitTime(lakehouse, table, version).ifPresent(at -> needs.add(new Need(table, at,
            "the " + query + " stream reads it on from version " + version + " (committed " + at + ")")));
      }
    }
    Optional<GoldHorizon> horizon = new ScoringCheckpoint(checkpoint).horizon();
    if (horizon.isPresent() && lakehouse.exists(Tables.GOLD)) {
      long version = horizon.get().goldVersion();
      commitTime(lakehouse, Tables.GOLD, version).ifPresent(at -> needs.add(new Need(Tables.GOLD, at,
          "the " + query + " query skips the transactions of gold's version " + version + " (committed " + at + ")")));
    }
    return needs;
  }

  /** The source lines of a Spark offset log file: after its version line and its metadata line, one JSON object (or "-") per source. */
  private static List<JsonNode> sourceOffsets(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<String> lines = Files.readAllLines(file);
    List<JsonNode> sources = new ArrayList<>();
    for (String line : lines.subList(Math.min(2, lines.size()), lines.size())) {
      if (line.startsWith("{")) {
        sources.add(JSON.readTree(line));
      }
    }
    return sources;
  }

  /**
   * When {@code version} of the table was committed: Delta's timestamp of the commit (its commit
   * file's time in path mode, read directly rather than through the history). Empty when the version
   * is not committed yet (a reader that has read everything waits for it: nothing it needs is removed
   * yet), and, with a warning, when Delta no longer keeps that commit: the reader cannot resume from it
   * whatever VACUUM keeps.
   */
  static Optional<Instant> commitTime(Lakehouse lakehouse, String table, long version) {
    if (version > lakehouse.latestVersion(table)) {
      return Optional.empty();
    }
    Optional<Instant> at;
    if (lakehouse.catalogMode()) {
      // A catalog table's storage may not be readable by path (Unity Catalog): ask Delta's history.
      List<Row> rows = lakehouse.deltaTable(table).history().where(functions.col("version").equalTo(version))
          .select("timestamp").collectAsList();
      at = rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0).getTimestamp(0).toInstant());
    } else {
      org.apache.hadoop.fs.Path commit = new org.apache.hadoop.fs.Path(lakehouse.path(table).toUri().toString(),
          "_delta_log/" + String.format("%020d.json", version));
      try {
        FileSystem fs = commit.getFileSystem(lakehouse.spark().sparkContext().hadoopConfiguration());
        at = fs.exists(commit) ? Optional.of(Instant.ofEpochMilli(fs.getFileStatus(commit).getModificationTime())) : Optional.empty();
      } catch (IOException e) {
        throw new FraudLakeException("cannot tell when version " + version + " of " + table + " was committed: " + e.getMessage(), e);
      }
    }
    if (at.isEmpty()) {
      LOG.warn("{}: version {} is no longer in the table's log; a reader still at it cannot resume", table, version);
    }
    return at;
  }

  private static Map<String, String> tablesById(Lakehouse lakehouse) {
    Map<String, String> byId = new HashMap<>();
    for (String table : Tables.ALL) {
      if (lakehouse.exists(table)) {
        byId.put(lakehouse.deltaTable(table).detail().select("id").first().getString(0), table);
      }
    }
    return byId;
  }

  private static OptionalLong newestNumbered(Path dir) throws IOException {
    return numbered(dir).max(Comparator.naturalOrder()).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  private static OptionalLong oldestNumbered(Path dir) throws IOException {
    return numbered(dir).min(Comparator.naturalOrder()).map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  private static Stream<Long> numbered(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Stream.empty();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString())
          .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
          .map(Long::parseLong).toList().stream();
    }
  }

  private static Duration roundUpToHours(Duration d) {
    long hours = d.toHours() + (d.equals(Duration.ofHours(d.toHours())) ? 0 : 1);
    return Duration.ofHours(Math.max(hours, 0));
  }

  static String describe(Duration d) {
    if (d.toHours() % 24 == 0 && !d.isZero()) {
      return d.toDays() + (d.toDays() == 1 ? " day" : " days");
    }
    return d.toHours() + " h";
  }
}
