package io.fraudlake.silver;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * What later windows of one card still read of its emitted events, kept by the silver engine as one
 * binary value of its state. Spark's list state would decode and encode every entry as a row at
 * every emission, and a card at 8,000 events/s holds about 120 entries in a 5-minute window; this
 * value is read and written whole, with no encoder per entry.
 *
 * <p>Layout (big-endian): the entry count as an int, then per entry its event time in microseconds
 * (long), its amount (double), its TransactionID and its ProductCD, each a byte length (int, -1 for
 * NULL) followed by the UTF-8 bytes. Entries are stored in {@link WindowFeatures#CANONICAL_ORDER}.
 */
final class WindowContext {
  private static final int NULL_LENGTH = -1;

  private WindowContext() {}

  /**
   * One transaction as a window reads it, in the stream and in {@code silver --batch}; {@code event}
   * is its row when its features are to be computed, and null when it is context only.
   */
  record Entry(long micros, String id, double amount, String product, Row event) implements WindowFeatures.WindowEvent {
    boolean toEmit() {
      return event != null;
    }

    Entry asContext() {
      return event == null ? this : new Entry(micros, id, amount, product, null);
    }
  }

  static byte[] encode(List<Entry> entries) {
    byte[][] ids = new byte[entries.size()][];
    byte[][] products = new byte[entries.size()][];
    int size = Integer.BYTES;
    for (int i = 0; i < entries.size(); i++) {
      ids[i] = utf8(entries.get(i).id());
      products[i] = utf8(entries.get(i).product());
      size += Long.BYTES + Double.BYTES + 2 * Integer.BYTES + length(ids[i]) + length(products[i]);
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putInt(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      out.putLong(e.micros());
      out.putDouble(e.amount());
      putString(out, ids[i]);
      putString(out, products[i]);
    }
    return out.array();
  }

  static List<Entry> decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    int count = in.getInt();
    List<Entry> entries = new ArrayList<>(count + 16);
    for (int i = 0; i < count; i++) {
      long micros = in.getLong();
      double amount = in.getDouble();
      String id = getString(in);
      String product = getString(in);
      entries.add(new Entry(micros, id, amount, product, null));
    }
    if (in.hasRemaining()) {
      throw new IllegalStateException("window context of " + bytes.length + " bytes has " + in.remaining()
          + " bytes after its " + count + " entries");
    }
    return entries;
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static int length(byte[] b) {
    return b == null ? 0 : b.length;
  }

  private static void putString(ByteBuffer out, byte[] b) {
    if (b == null) {
      out.putInt(NULL_LENGTH);
    } else {
      out.putInt(b.length);
      out.put(b);
    }
  }

  private static String getString(ByteBuffer in) {
    int length = in.getInt();
    if (length == NULL_LENGTH) {
      return null;
    }
    String s = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }
}
