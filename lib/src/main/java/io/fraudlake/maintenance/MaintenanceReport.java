package io.fraudlake.maintenance;

import java.util.List;
import java.util.Locale;

/** What {@code maintain} did to each table, and how long it took. */
public record MaintenanceReport(List<TableReport> tables, double seconds) {

  /**
   * One table: its files and bytes in the current version before and after OPTIMIZE, the data files
   * in its folder before and after VACUUM (-1 in catalog mode), the VACUUM retention (null: not
   * asked for), why VACUUM did not run with it (null: it ran), the version checkpointed (-1: none).
   */
  public record TableReport(String table, String layout, long filesBefore, long bytesBefore, long filesAfter, long bytesAfter,
      long diskFilesBefore, long diskFilesAfter, VacuumRetention.Decision vacuum, String vacuumSkipped, long checkpointVersion,
      double seconds) {

    /** One line per table, as {@code maintain} prints it. */
    public String line() {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s: %s; files %,d -> %,d, %s -> %s",
          table, layout, filesBefore, filesAfter, bytes(bytesBefore), bytes(bytesAfter)));
      if (vacuum != null && vacuumSkipped != null) {
        line.append(String.format(Locale.ROOT, "; VACUUM not run: it must keep %s (%s), and %s", VacuumRetention.describe(vacuum.retention()),
            vacuum.reason(), vacuumSkipped));
      } else if (vacuum != null) {
        line.append(String.format(Locale.ROOT, "; VACUUM kept %s (%s)", VacuumRetention.describe(vacuum.retention()), vacuum.reason()));
      }
      if (diskFilesBefore >= 0) {
        line.append(String.format(Locale.ROOT, "; data files on disk %,d -> %,d", diskFilesBefore, diskFilesAfter));
      }
      if (checkpointVersion >= 0) {
        line.append(String.format(Locale.ROOT, "; checkpoint at version %,d", checkpointVersion));
      }
      return line.append(String.format(Locale.ROOT, "; %.1f s", seconds)).toString();
    }
  }

  /** The report as {@code maintain} prints it: a line per table, then the totals. */
  public String text() {
    StringBuilder out = new StringBuilder();
    for (TableReport t : tables) {
      out.append("maintain: ").append(t.line()).append('\n');
    }
    long before = tables.stream().mapToLong(TableReport::filesBefore).sum();
    long after = tables.stream().mapToLong(TableReport::filesAfter).sum();
    out.append(String.format(Locale.ROOT, "maintain: %d tables, files %,d -> %,d, %s -> %s in %.1f s%n", tables.size(), before, after,
        bytes(tables.stream().mapToLong(TableReport::bytesBefore).sum()), bytes(tables.stream().mapToLong(TableReport::bytesAfter).sum()),
        seconds));
    return out.toString();
  }

  public TableReport table(String name) {
    return tables.stream().filter(t -> t.table().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no report for " + name));
  }

  static String bytes(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }
    return String.format(Locale.ROOT, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
  }
}
