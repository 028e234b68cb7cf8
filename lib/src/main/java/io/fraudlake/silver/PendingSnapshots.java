package io.fraudlake.silver;

import io.fraudlake.FraudLakeException;
import io.fraudlake.bronze.BronzeParser;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * The live pipeline's pending events, one snapshot file per micro-batch ({@code v<batch id>.bin}),
 * written by the driver itself: the events are already in its memory, and a Spark job writing a few
 * thousand rows as Parquet cost 200–400 ms of every batch here. Same contract as {@link
 * PendingEvents}: batch N starts from the newest snapshot of a batch before N, a replay of N starts
 * from that same one, and older snapshots are deleted once no replay can need them. A snapshot is
 * written beside its name and renamed in, so a visible one is complete.
 *
 * <p>Format (big-endian, {@link DataOutputStream}): a format number, the row count, then per row each
 * bronze column in order, a presence byte before every nullable one; strings as UTF-8 with a length,
 * timestamps as microseconds since the epoch.
 */
final class PendingSnapshots {
  private static final int FORMAT = 1;
  private static final StructField[] FIELDS = BronzeParser.BRONZE_SCHEMA.fields();

  private final SnapshotVersions versions;

  PendingSnapshots(Path dir) {
    this.versions = new SnapshotVersions(dir, ".bin", "the live pipeline's pending events");
  }

  /** The events batch {@code batchId} starts from (none before the first snapshot). */
  List<Row> before(long batchId) {
    OptionalLong version = versions.newestBefore(batchId, snapshot -> true);
    if (version.isEmpty()) {
      return List.of();
    }
    Path file = versions.of(version.getAsLong());
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      int format = in.readInt();
      if (format != FORMAT) {
        throw new FraudLakeException("pending-events snapshot " + file + " has format " + format + ", expected " + FORMAT);
      }
      int rows = in.readInt();
      List<Row> events = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        Object[] values = new Object[FIELDS.length];
        for (int i = 0; i < FIELDS.length; i++) {
          values[i] = FIELDS[i].nullable() && !in.readBoolean() ? null : read(in, FIELDS[i].dataType());
        }
        events.add(RowFactory.create(values));
      }
      return events;
    } catch (IOException e) {
      throw new FraudLakeException("cannot read the live pipeline's pending events " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes batch {@code batchId}'s snapshot and drops the ones no replay can need. */
  void write(List<Row> events, long batchId) {
    // Every visible snapshot is complete: it is written beside its name and renamed in.
    OptionalLong startedFrom = versions.newestBefore(batchId, snapshot -> true);
    Path file = versions.of(batchId);
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
        out.writeInt(FORMAT);
        out.writeInt(events.size());
        for (Row r : events) {
          for (int i = 0; i < FIELDS.length; i++) {
            Object value = r.get(i);
            if (FIELDS[i].nullable()) {
              out.writeBoolean(value != null);
            }
            if (value != null) {
              write(out, FIELDS[i].dataType(), value);
            }
          }
        }
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      for (Path old : versions.unneeded(batchId, startedFrom)) {
        Files.deleteIfExists(old);
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the live pipeline's pending events " + file + ": " + e.getMessage(), e);
    }
  }

  private static Object read(DataInputStream in, DataType type) throws IOException {
    if (type.equals(DataTypes.StringType)) {
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
    if (type.equals(DataTypes.TimestampType)) {
      return WindowFeatures.timestamp(in.readLong());
    }
    if (type.equals(DataTypes.DoubleType)) {
      return in.readDouble();
    }
    if (type.equals(DataTypes.IntegerType)) {
      return in.readInt();
    }
    throw new IllegalStateException("no snapshot encoding for " + type);
  }

  private static void write(DataOutputStream out, DataType type, Object value) throws IOException {
    if (type.equals(DataTypes.StringType)) {
      byte[] bytes = ((String) value).getBytes(StandardCharsets.UTF_8);
      out.writeInt(bytes.length);
      out.write(bytes);
    } else if (type.equals(DataTypes.TimestampType)) {
      out.writeLong(WindowFeatures.micros(value));
    } else if (type.equals(DataTypes.DoubleType)) {
      out.writeDouble((Double) value);
    } else if (type.equals(DataTypes.IntegerType)) {
      out.writeInt((Integer) value);
    } else {
      throw new IllegalStateException("no snapshot encoding for " + type);
    }
  }
}
