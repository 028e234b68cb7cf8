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
import java.util.stream.Stream;
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
  private static final String PREFIX = "v";
  private static final String SUFFIX = ".bin";
  private static final StructField[] FIELDS = BronzeParser.BRONZE_SCHEMA.fields();

  private final Path dir;

  PendingSnapshots(Path dir) {
    this.dir = dir;
  }

  /** The events batch {@code batchId} starts from (none before the first snapshot). */
  List<Row> before(long batchId) {
    OptionalLong version = newestBefore(batchId);
    if (version.isEmpty()) {
      return List.of();
    }
    Path file = snapshot(version.getAsLong());
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
    OptionalLong startedFrom = newestBefore(batchId);
    Path file = snapshot(batchId);
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    try {
      Files.createDirectories(dir);
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
      for (long old : versions()) {
        if (old < batchId && (startedFrom.isEmpty() || old < startedFrom.getAsLong())) {
          Files.deleteIfExists(snapshot(old));
        }
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

  private OptionalLong newestBefore(long batchId) {
    return versions().stream().filter(v -> v < batchId).mapToLong(Long::longValue).max();
  }

  private List<Long> versions() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(PREFIX) && n.endsWith(SUFFIX))
          .map(n -> n.substring(PREFIX.length(), n.length() - SUFFIX.length()))
          .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .toList();
    } catch (IOException e) {
      throw new FraudLakeException("cannot list the live pipeline's pending events in " + dir + ": " + e.getMessage(), e);
    }
  }

  private Path snapshot(long version) {
    return dir.resolve(PREFIX + version + SUFFIX);
  }
}
