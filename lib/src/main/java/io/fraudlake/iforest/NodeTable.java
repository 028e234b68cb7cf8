package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A forest's nodes under a saved model's {@code data/}: one Parquet file, one row per node, written
 * and read on the driver through Hadoop's FileSystem API, so on any Hadoop file system (local, HDFS,
 * S3A, DBFS). Writing streams node by node into the file: the nodes never travel inside a Spark task,
 * whose serialized size would otherwise grow with the forest.
 *
 * <p>The file is the one Spark's DataFrame writer made of the same columns (non-nullable int,
 * double and array&lt;double&gt; columns as required INT32, DOUBLE and a three-level LIST, Spark's
 * schema in the footer), so {@code spark.read.parquet} reads it and {@link #read} reads the files
 * Spark wrote for models saved before: every data file of the folder, rows in any order.
 */
public final class NodeTable {
  /** The footer key Spark reads its own schema from; with it, Spark sees exactly the types it wrote before. */
  private static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";
  private static final String FILE = "part-00000.snappy.parquet";

  public enum Type {
    INT("32-bit integers"), DOUBLE("doubles"), DOUBLE_ARRAY("lists of doubles");

    private final String description;

    Type(String description) {
      this.description = description;
    }
  }

  public record Column(String name, Type type) {
    public static Column ints(String name) {
      return new Column(name, Type.INT);
    }

    public static Column doubles(String name) {
      return new Column(name, Type.DOUBLE);
    }

    public static Column doubleArrays(String name) {
      return new Column(name, Type.DOUBLE_ARRAY);
    }
  }

  /** Puts one node's values into its row, a value per column in the table's order. */
  @FunctionalInterface
  public interface NodeValues {
    void write(int tree, int node, NodeRow row);
  }

  private final String model;
  private final Column[] columns;
  private final MessageType schema;
  private final StructType sparkSchema;

  /** {@code model} names the model in error messages. */
  public NodeTable(String model, Column... columns) {
    this.model = model;
    this.columns = columns.clone();
    Types.MessageTypeBuilder parquet = Types.buildMessage();
    StructType spark = new StructType();
    for (Column column : columns) {
      DataType type;
      switch (column.type()) {
        case INT -> {
          parquet.required(PrimitiveTypeName.INT32).named(column.name());
          type = DataTypes.IntegerType;
        }
        case DOUBLE -> {
          parquet.required(PrimitiveTypeName.DOUBLE).named(column.name());
          type = DataTypes.DoubleType;
        }
        default -> {
          parquet.requiredList().requiredElement(PrimitiveTypeName.DOUBLE).named(column.name());
          type = DataTypes.createArrayType(DataTypes.DoubleType, false);
        }
      }
      spark = spark.add(column.name(), type, false);
    }
    this.schema = parquet.named("spark_schema");
    this.sparkSchema = spark;
  }

  /**
   * Writes {@code path/data}: tree t's nodes 0 to {@code nodeCounts[t] - 1}, tree after tree, each
   * described by {@code values}. MLWriter has already applied overwrite() or refused an existing
   * {@code path}, so the file is created, never overwritten.
   */
  public void write(SparkSession spark, String path, int[] nodeCounts, NodeValues values) {
    Configuration conf = ModelFiles.hadoopConf(spark);
    Path dir = new Path(path, "data");
    Path file = new Path(dir, FILE);
    try {
      Cursor at = new Cursor();
      try (ParquetWriter<Cursor> writer = new WriterBuilder(HadoopOutputFile.fromPath(file, conf), values)
          .withConf(conf)
          .withCompressionCodec(CompressionCodecName.SNAPPY)
          .build()) {
        for (at.tree = 0; at.tree < nodeCounts.length; at.tree++) {
          for (at.node = 0; at.node < nodeCounts[at.tree]; at.node++) {
            writer.write(at);
          }
        }
      }
      ModelFiles.markDone(dir.getFileSystem(conf), dir);
    } catch (IOException e) {
      throw new FraudLakeException(model + ": cannot write the nodes to " + file + ": " + ModelFiles.oneLine(e), e);
    }
  }

  /** Reads {@code path/data}, as {@link #write} or, for models saved before, Spark's DataFrame writer wrote it. */
  public Nodes read(SparkSession spark, String path) {
    Configuration conf = ModelFiles.hadoopConf(spark);
    Path dir = new Path(path, "data");
    List<FileStatus> files;
    try {
      files = ModelFiles.dataFiles(dir.getFileSystem(conf), dir);
    } catch (FileNotFoundException e) {
      throw new FraudLakeException(model + ": missing node data: " + dir + " not found", e);
    } catch (IOException e) {
      throw new FraudLakeException(model + ": cannot list the node data in " + dir + ": " + ModelFiles.oneLine(e), e);
    }
    if (files.isEmpty()) {
      throw new FraudLakeException(model + ": missing node data: no data file in " + dir);
    }
    Nodes nodes = new Nodes(columns);
    for (FileStatus file : files) {
      try {
        readFile(file, conf, nodes);
      } catch (FraudLakeException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        // Parquet reports a damaged file with runtime exceptions as often as with IOExceptions.
        throw new FraudLakeException(model + ": corrupt node data file " + file.getPath() + ": "
            + ModelFiles.oneLine(e), e);
      }
    }
    for (int c = 0; c < columns.length; c++) {
      if (nodes.seen[c] != nodes.rows) {
        throw new FraudLakeException(model + ": column '" + columns[c].name() + "' of the node data in " + dir
            + " has null values");
      }
    }
    return nodes;
  }

  private void readFile(FileStatus file, Configuration conf, Nodes nodes) throws IOException {
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromStatus(file, conf))) {
      MessageType fileSchema = reader.getFooter().getFileMetaData().getSchema();
      MessageType requested = requested(fileSchema, file.getPath());
      reader.setRequestedSchema(requested);
      if (nodes.rows + reader.getRecordCount() > Integer.MAX_VALUE - 1) {
        throw new FraudLakeException(model + ": more nodes than a forest can hold in " + file.getPath().getParent());
      }
      nodes.reserve((int) reader.getRecordCount());
      MessageColumnIO io = new ColumnIOFactory().getColumnIO(requested, fileSchema);
      NodeMaterializer materializer = new NodeMaterializer(requested, nodes);
      for (PageReadStore rowGroup = reader.readNextRowGroup(); rowGroup != null; rowGroup = reader.readNextRowGroup()) {
        RecordReader<Object> records = io.getRecordReader(rowGroup, materializer);
        for (long r = 0; r < rowGroup.getRowCount(); r++) {
          records.read();
        }
      }
    }
  }

  /** The file's fields this table reads, in the file's order, after checking each one's type. */
  private MessageType requested(MessageType fileSchema, Path file) {
    for (Column column : columns) {
      if (!fileSchema.containsField(column.name())) {
        throw new FraudLakeException(model + ": node data file " + file + " has no column '" + column.name() + "'");
      }
      if (!holds(fileSchema.getType(column.name()), column.type())) {
        throw new FraudLakeException(model + ": column '" + column.name() + "' of node data file " + file
            + " does not hold " + column.type().description);
      }
    }
    List<org.apache.parquet.schema.Type> fields = new ArrayList<>();
    for (org.apache.parquet.schema.Type field : fileSchema.getFields()) {
      if (index(field.getName()) >= 0) {
        fields.add(field);
      }
    }
    return new MessageType(fileSchema.getName(), fields);
  }

  private static boolean holds(org.apache.parquet.schema.Type field, Type type) {
    if (field.isRepetition(Repetition.REPEATED)) {
      return false;
    }
    return switch (type) {
      case INT -> isPrimitive(field, PrimitiveTypeName.INT32);
      case DOUBLE -> isPrimitive(field, PrimitiveTypeName.DOUBLE);
      case DOUBLE_ARRAY -> listElement(field) != null;
    };
  }

  private static boolean isPrimitive(org.apache.parquet.schema.Type field, PrimitiveTypeName name) {
    return field.isPrimitive() && field.asPrimitiveType().getPrimitiveTypeName() == name;
  }

  /**
   * The double element of a list column: Spark's three-level LIST (group, repeated group, element)
   * or the older two-level form (group, repeated double); null for anything else.
   */
  private static org.apache.parquet.schema.Type listElement(org.apache.parquet.schema.Type field) {
    if (field.isPrimitive() || field.asGroupType().getFieldCount() != 1) {
      return null;
    }
    org.apache.parquet.schema.Type repeated = field.asGroupType().getType(0);
    if (!repeated.isRepetition(Repetition.REPEATED)) {
      return null;
    }
    if (isPrimitive(repeated, PrimitiveTypeName.DOUBLE)) {
      return repeated;
    }
    if (repeated.isPrimitive() || repeated.asGroupType().getFieldCount() != 1) {
      return null;
    }
    org.apache.parquet.schema.Type element = repeated.asGroupType().getType(0);
    return isPrimitive(element, PrimitiveTypeName.DOUBLE) && !element.isRepetition(Repetition.REPEATED)
        ? element : null;
  }

  private int index(String name) {
    for (int c = 0; c < columns.length; c++) {
      if (columns[c].name().equals(name)) {
        return c;
      }
    }
    return -1;
  }

  /** One node's row, filled in column order by {@link NodeValues}. */
  public final class NodeRow {
    private final RecordConsumer out;
    private int next;

    private NodeRow(RecordConsumer out) {
      this.out = out;
    }

    public NodeRow putInt(int value) {
      start(Type.INT);
      out.addInteger(value);
      return end();
    }

    public NodeRow putDouble(double value) {
      start(Type.DOUBLE);
      out.addDouble(value);
      return end();
    }

    /** {@code values[from .. from + length)} as one list; length 0 writes an empty list. */
    public NodeRow putDoubles(double[] values, int from, int length) {
      start(Type.DOUBLE_ARRAY);
      out.startGroup();
      if (length > 0) {
        out.startField("list", 0);
        for (int i = from; i < from + length; i++) {
          out.startGroup();
          out.startField("element", 0);
          out.addDouble(values[i]);
          out.endField("element", 0);
          out.endGroup();
        }
        out.endField("list", 0);
      }
      out.endGroup();
      return end();
    }

    private void start(Type type) {
      if (next >= columns.length || columns[next].type() != type) {
        throw new IllegalStateException(model + ": a node value of type " + type + " does not fit column "
            + (next < columns.length ? columns[next] : "past the last"));
      }
      out.startField(columns[next].name(), next);
    }

    private NodeRow end() {
      out.endField(columns[next].name(), next);
      next++;
      return this;
    }
  }

  /** Which node the writer is at; one instance, moved along, rather than an object per node. */
  private static final class Cursor {
    int tree;
    int node;
  }

  private final class WriterBuilder extends ParquetWriter.Builder<Cursor, WriterBuilder> {
    private final NodeValues values;

    WriterBuilder(OutputFile file, NodeValues values) {
      super(file);
      this.values = values;
    }

    @Override
    protected WriterBuilder self() {
      return this;
    }

    @Override
    protected WriteSupport<Cursor> getWriteSupport(Configuration conf) {
      return new WriteSupport<>() {
        private RecordConsumer consumer;
        private NodeRow row;

        @Override
        public WriteContext init(Configuration configuration) {
          return new WriteContext(schema, Map.of(SPARK_SCHEMA_KEY, sparkSchema.json()));
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
          consumer = recordConsumer;
          row = new NodeRow(recordConsumer);
        }

        @Override
        public void write(Cursor at) {
          consumer.startMessage();
          row.next = 0;
          values.write(at.tree, at.node, row);
          if (row.next != columns.length) {
            throw new IllegalStateException(model + ": node " + at.node + " of tree " + at.tree + " filled "
                + row.next + " of " + columns.length + " columns");
          }
          consumer.endMessage();
        }
      };
    }
  }

  /**
   * The nodes read, column by column: {@link #getInt}, {@link #getDouble} and the list accessors take
   * the column's position in the table and the row's position in the files (not necessarily node order).
   */
  public static final class Nodes {
    private final Column[] columns;
    private final int[][] ints;
    private final double[][] doubles;
    /** Per list column, where each row's list starts in {@link #elements}, plus where the last one ends. */
    private final int[][] starts;
    private final double[][] elements;
    private final int[] elementCount;
    private final long[] seen;
    private int rows;

    private Nodes(Column[] columns) {
      this.columns = columns;
      ints = new int[columns.length][];
      doubles = new double[columns.length][];
      starts = new int[columns.length][];
      elements = new double[columns.length][];
      elementCount = new int[columns.length];
      seen = new long[columns.length];
      for (int c = 0; c < columns.length; c++) {
        switch (columns[c].type()) {
          case INT -> ints[c] = new int[0];
          case DOUBLE -> doubles[c] = new double[0];
          default -> {
            starts[c] = new int[1];
            elements[c] = new double[16];
          }
        }
      }
    }

    public int size() {
      return rows;
    }

    /**
     * The number of nodes of each of {@code numTrees} trees, after checking that the rows name every
     * node of every tree exactly once (tree in {@code treeColumn}, node index in {@code nodeColumn}),
     * so a reader can fill its arrays by index; a damaged file fails naming {@code model} and {@code path}.
     */
    public int[] nodesPerTree(int treeColumn, int nodeColumn, int numTrees, String model, String path) {
      int[] counts = new int[numTrees];
      for (int r = 0; r < rows; r++) {
        int t = getInt(treeColumn, r);
        int n = getInt(nodeColumn, r);
        if (t < 0 || t >= numTrees || n < 0) {
          throw new FraudLakeException(model + ": node " + n + " of tree " + t + " in a forest of " + numTrees
              + " trees in " + path);
        }
        counts[t] = Math.max(counts[t], n + 1);
      }
      boolean[][] present = new boolean[numTrees][];
      long total = 0;
      for (int t = 0; t < numTrees; t++) {
        present[t] = new boolean[counts[t]];
        total += counts[t];
      }
      if (rows != total) {
        throw new FraudLakeException(model + ": missing or duplicate nodes in " + path);
      }
      for (int r = 0; r < rows; r++) {
        int t = getInt(treeColumn, r);
        int n = getInt(nodeColumn, r);
        if (present[t][n]) {
          throw new FraudLakeException(model + ": node " + n + " of tree " + t + " appears twice in " + path);
        }
        present[t][n] = true;
      }
      return counts;
    }

    public int getInt(int column, int row) {
      check(column, row, Type.INT);
      return ints[column][row];
    }

    public double getDouble(int column, int row) {
      check(column, row, Type.DOUBLE);
      return doubles[column][row];
    }

    public int arrayLength(int column, int row) {
      check(column, row, Type.DOUBLE_ARRAY);
      return starts[column][row + 1] - starts[column][row];
    }

    /** Copies the row's list into {@code destination} from {@code position} on. */
    public void copyArray(int column, int row, double[] destination, int position) {
      check(column, row, Type.DOUBLE_ARRAY);
      int start = starts[column][row];
      System.arraycopy(elements[column], start, destination, position, starts[column][row + 1] - start);
    }

    private void check(int column, int row, Type type) {
      if (columns[column].type() != type || row < 0 || row >= rows) {
        throw new IndexOutOfBoundsException("row " + row + " of " + rows + " in column " + columns[column]);
      }
    }

    private void reserve(int more) {
      int capacity = rows + more;
      for (int c = 0; c < columns.length; c++) {
        switch (columns[c].type()) {
          case INT -> ints[c] = Arrays.copyOf(ints[c], capacity);
          case DOUBLE -> doubles[c] = Arrays.copyOf(doubles[c], capacity);
          default -> starts[c] = Arrays.copyOf(starts[c], capacity + 1);
        }
      }
    }

    private void addElement(int column, double value) {
      if (elementCount[column] == elements[column].length) {
        elements[column] = Arrays.copyOf(elements[column], elements[column].length * 2);
      }
      elements[column][elementCount[column]++] = value;
    }

    private void endRow() {
      for (int c = 0; c < columns.length; c++) {
        if (starts[c] != null) {
          starts[c][rows + 1] = elementCount[c];
        }
      }
      rows++;
    }
  }

  /** Puts each value straight into {@link Nodes}' arrays: no object per node or per value. */
  private final class NodeMaterializer extends RecordMaterializer<Object> {
    private final GroupConverter root;

    NodeMaterializer(MessageType requested, Nodes nodes) {
      Converter[] fields = new Converter[requested.getFieldCount()];
      for (int f = 0; f < fields.length; f++) {
        org.apache.parquet.schema.Type field = requested.getType(f);
        int c = index(field.getName());
        fields[f] = switch (columns[c].type()) {
          case INT -> new PrimitiveConverter() {
            @Override
            public void addInt(int value) {
              nodes.ints[c][nodes.rows] = value;
              nodes.seen[c]++;
            }
          };
          case DOUBLE -> new PrimitiveConverter() {
            @Override
            public void addDouble(double value) {
              nodes.doubles[c][nodes.rows] = value;
              nodes.seen[c]++;
            }
          };
          case DOUBLE_ARRAY -> listConverter(field.asGroupType(), nodes, c);
        };
      }
      root = new GroupConverter() {
        @Override
        public Converter getConverter(int fieldIndex) {
          return fields[fieldIndex];
        }

        @Override
        public void start() {}

        @Override
        public void end() {
          nodes.endRow();
        }
      };
    }

    private GroupConverter listConverter(GroupType list, Nodes nodes, int c) {
      PrimitiveConverter element = new PrimitiveConverter() {
        @Override
        public void addDouble(double value) {
          nodes.addElement(c, value);
        }
      };
      Converter repeated = list.getType(0).isPrimitive() ? element : new GroupConverter() {
        @Override
        public Converter getConverter(int fieldIndex) {
          return element;
        }

        @Override
        public void start() {}

        @Override
        public void end() {}
      };
      return new GroupConverter() {
        @Override
        public Converter getConverter(int fieldIndex) {
          return repeated;
        }

        @Override
        public void start() {
          nodes.seen[c]++;
        }

        @Override
        public void end() {}
      };
    }

    /** Parquet drops a null record as filtered out; the values have already landed in the arrays. */
    @Override
    public Object getCurrentRecord() {
      return Boolean.TRUE;
    }

    @Override
    public GroupConverter getRootConverter() {
      return root;
    }
  }
}
