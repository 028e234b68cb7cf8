package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.delta.storage.HDFSLogStore;
import io.fraudlake.testing.SharedSpark;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.junit.jupiter.api.Test;

class PlainLocalLogStoreTest {
  @Test
  void listsALogAsDeltasOwnStoreDoesFromAnyVersion() throws Exception {
    SparkSession spark = SharedSpark.session();
    java.nio.file.Path table = SharedSpark.tempDir("log-store").resolve("t");
    for (int commit = 0; commit < 12; commit++) {
      spark.range(commit * 10L, commit * 10L + 10).write().format("delta").mode("append").save(table.toString());
    }
    DeltaLog.forTable(spark, table.toString()).checkpoint();
    // What a log holds besides commits: a folder, a hidden temporary file and Hadoop's hidden checksums.
    java.nio.file.Path log = table.resolve("_delta_log");
    Files.createDirectories(log.resolve("_commits"));
    Files.writeString(log.resolve(".00000000000000000012.json.0f3c.tmp"), "{}");
    assertTrue(Files.list(log).anyMatch(f -> f.getFileName().toString().endsWith(".crc")
        && f.getFileName().toString().startsWith(".")), "the session's file system wrote Hadoop checksums");

    Configuration conf = spark.sessionState().newHadoopConf();
    HDFSLogStore delta = new HDFSLogStore(conf);
    PlainLocalLogStore plain = new PlainLocalLogStore(conf);
    Path logPath = new Path(log.toUri());
    for (String from : List.of("00000000000000000000", "00000000000000000005", "00000000000000000010.checkpoint",
        "00000000000000000011.json", "00000000000000000099", "_", ".0")) {
      List<String> expected = describe(delta.listFrom(new Path(logPath, from), conf));
      assertEquals(expected, describe(plain.listFrom(new Path(logPath, from), conf)), "from " + from);
      assertTrue(from.equals("00000000000000000099") || !expected.isEmpty(), "from " + from + " lists something");
    }
    List<String> fromDot = describe(plain.listFrom(new Path(logPath, ".0"), conf));
    assertTrue(fromDot.stream().anyMatch(s -> s.startsWith(".0000")), "a hidden file that is not a checksum is listed: " + fromDot);

    Path missing = new Path(new Path(table.resolve("none").toUri()), "00000000000000000000");
    assertThrows(FileNotFoundException.class, () -> delta.listFrom(missing, conf));
    assertThrows(FileNotFoundException.class, () -> plain.listFrom(missing, conf));
  }

  @Test
  void theSessionsTablesAreReadAndWrittenThroughIt() {
    SparkSession spark = SharedSpark.session();
    assertEquals(PlainLocalLogStore.class.getName(), spark.sparkContext().getConf().get("spark.delta.logStore.file.impl"));
    String table = SharedSpark.tempDir("log-store-session").resolve("t").toString();
    for (int commit = 0; commit < 3; commit++) {
      spark.range(commit * 5L, commit * 5L + 5).write().format("delta").mode("append").save(table);
    }
    assertEquals(15, spark.read().format("delta").load(table).count());
    assertEquals(2L, DeltaLog.forTable(spark, table).update(false, scala.Option.empty(), scala.Option.empty()).version());
    assertEquals(3, spark.sql("DESCRIBE HISTORY delta.`" + table + "`").count());
  }

  /** Each status as name, size, kind, modification time and path: what Delta reads of a listing. */
  private static List<String> describe(Iterator<FileStatus> statuses) {
    List<String> out = new ArrayList<>();
    statuses.forEachRemaining(s -> out.add(s.getPath().getName() + " " + s.getLen() + " " + s.isDirectory() + " "
        + s.getModificationTime() + " " + s.getPath()));
    return out;
  }
}
