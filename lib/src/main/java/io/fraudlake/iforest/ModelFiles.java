package io.fraudlake.iforest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.FraudLakeException;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.sql.SparkSession;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import scala.Option;

/**
 * A saved forest's {@code metadata/} folder, in Spark ML's layout (one line of JSON: class, uid,
 * Spark version, params and the model's extra fields, in a {@code part-} file) so that
 * {@code DefaultParamsReader}, a {@code PipelineModel} and {@link io.fraudlake.scoring.ModelClasses}
 * read it. Written and read on the driver through Hadoop's FileSystem API rather than through
 * {@code DefaultParamsWriter.saveMetadata}, which runs a Spark job for one line: with the nodes also
 * written on the driver ({@link NodeTable}), saving or loading a forest starts no Spark job.
 */
public final class ModelFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelFiles() {}

  /**
   * The Hadoop configuration Spark's own writers use: the session's, so file-system settings made
   * with {@code spark.conf.set} (a notebook's storage keys) reach these files as they reach a DataFrame.
   */
  static Configuration hadoopConf(SparkSession spark) {
    if (spark instanceof org.apache.spark.sql.classic.SparkSession classic) {
      return classic.sessionState().newHadoopConf();
    }
    return spark.sparkContext().hadoopConfiguration();
  }

  /** Data files of a folder Spark or this class wrote, without markers ({@code _SUCCESS}) and hidden {@code .crc} files. */
  static List<FileStatus> dataFiles(FileSystem fs, Path dir) throws IOException {
    return Arrays.stream(fs.listStatus(dir))
        .filter(FileStatus::isFile)
        .filter(s -> !s.getPath().getName().startsWith("_") && !s.getPath().getName().startsWith("."))
        .sorted(Comparator.comparing(s -> s.getPath().getName()))
        .toList();
  }

  /** An exception's message on one line, for a FraudLakeException the command line prints as one line. */
  static String oneLine(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceAll("\\s+", " ").trim();
  }

  /** Spark's empty marker of a completely written folder, which readers of Spark's layout may look for. */
  static void markDone(FileSystem fs, Path dir) throws IOException {
    fs.create(new Path(dir, "_SUCCESS"), false).close();
  }

  /**
   * Writes {@code path/metadata}. MLWriter has already applied overwrite() (removed what was at
   * {@code path}) or refused an existing {@code path}, so nothing is overwritten here.
   */
  public static void writeMetadata(Params model, String path, SparkSession spark, ObjectNode extra) {
    String json = DefaultParamsWriter$.MODULE$.getMetadataToSave(model, spark,
        Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(extra)));
    Path dir = new Path(path, "metadata");
    try {
      FileSystem fs = dir.getFileSystem(hadoopConf(spark));
      try (OutputStream out = fs.create(new Path(dir, "part-00000"), false)) {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
      }
      markDone(fs, dir);
    } catch (IOException e) {
      throw new FraudLakeException(model.getClass().getSimpleName() + ": cannot write " + dir + ": "
          + oneLine(e), e);
    }
  }

  /**
   * Reads {@code path/metadata} (as this class or Spark wrote it) and checks it names {@code expected};
   * {@code model} names the model in error messages.
   */
  public static DefaultParamsReader.Metadata readMetadata(String model, String path, SparkSession spark,
      Class<?> expected) {
    Path dir = new Path(path, "metadata");
    Configuration conf = hadoopConf(spark);
    String line;
    try {
      line = firstLine(dir.getFileSystem(conf), dir, conf);
    } catch (FileNotFoundException e) {
      throw new FraudLakeException(model + ": no saved model at " + path + " (" + dir + " not found)", e);
    } catch (IOException e) {
      throw new FraudLakeException(model + ": cannot read " + dir + ": " + oneLine(e), e);
    }
    if (line == null) {
      throw new FraudLakeException(model + ": empty model metadata in " + dir);
    }
    DefaultParamsReader.Metadata metadata;
    try {
      metadata = DefaultParamsReader$.MODULE$.parseMetadata(line, "");
    } catch (RuntimeException e) {
      throw new FraudLakeException(model + ": unreadable metadata in " + dir + ": " + oneLine(e), e);
    }
    if (!expected.getName().equals(metadata.className())) {
      throw new FraudLakeException(model + ": " + path + " holds a saved " + metadata.className() + ", not a "
          + expected.getName());
    }
    return metadata;
  }

  /**
   * The model's extra fields (format, numTrees, ...) after checking the format, which says how
   * {@code data/} is laid out; {@code what} names the model in the error for another format.
   */
  public static JsonNode extraFields(String model, String path, DefaultParamsReader.Metadata metadata, String format,
      String what) {
    JsonNode json;
    try {
      json = JSON.readTree(metadata.metadataJson());
    } catch (IOException e) {
      throw new FraudLakeException(model + ": unreadable metadata under " + path, e);
    }
    if (!format.equals(json.path("format").asText())) {
      throw new FraudLakeException(model + ": " + path + " is not a saved " + what + " (format '"
          + json.path("format").asText() + "')");
    }
    return json;
  }

  private static String firstLine(FileSystem fs, Path dir, Configuration conf) throws IOException {
    CompressionCodecFactory codecs = new CompressionCodecFactory(conf);
    for (FileStatus file : dataFiles(fs, dir)) {
      // A cluster that compresses Hadoop output compresses the metadata Spark wrote there too; the
      // file's extension names the codec.
      CompressionCodec codec = codecs.getCodec(file.getPath());
      try (InputStream raw = fs.open(file.getPath());
          BufferedReader reader = new BufferedReader(new InputStreamReader(
              codec == null ? raw : codec.createInputStream(raw), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (!line.isBlank()) {
            return line;
          }
        }
      }
    }
    return null;
  }
}
