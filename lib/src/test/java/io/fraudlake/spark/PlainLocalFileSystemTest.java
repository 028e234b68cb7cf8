package io.fraudlake.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fraudlake.testing.SharedSpark;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;

class PlainLocalFileSystemTest {
  private static Configuration plainLocal() {
    Configuration conf = new Configuration(false);
    conf.set("fs.file.impl", PlainLocalFileSystem.class.getName());
    conf.set("fs.AbstractFileSystem.file.impl", PlainLocalFs.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    conf.set("fs.permissions.umask-mode", "022");
    return conf;
  }

  @Test
  void createsRenamesAndSetsPermissionsWithoutStartingAProcess() throws Exception {
    java.nio.file.Path dir = SharedSpark.tempDir("plain-fs");
    Configuration conf = plainLocal();
    List<String> started = processesStartedWhile(() -> {
      FileSystem fs = FileSystem.get(dir.toUri(), conf);
      Path data = new Path(dir.toUri().toString(), "data/part-0.parquet");
      try (FSDataOutputStream out = fs.create(data, new FsPermission((short) 0640), true, 4096, (short) 1, 1 << 20, null)) {
        out.write("rows".getBytes(StandardCharsets.UTF_8));
      }
      assertTrue(fs.rename(data, new Path(dir.toUri().toString(), "data/part-1.parquet")));
      // What Delta's log store does for a commit: a temporary file, then a rename that must not overwrite.
      FileContext fc = FileContext.getFileContext(dir.toUri(), conf);
      Path temp = new Path(dir.toUri().toString(), "_delta_log/.00000.json.tmp");
      try (FSDataOutputStream out = fc.create(temp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
        out.write("{}".getBytes(StandardCharsets.UTF_8));
      }
      fc.rename(temp, new Path(dir.toUri().toString(), "_delta_log/00000.json"), Options.Rename.NONE);
    });

    assertEquals(List.of(), started, "processes started by the local file system");
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data/part-1.parquet"))));
    assertEquals("{}", Files.readString(dir.resolve("_delta_log/00000.json")));
    assertFalse(Files.exists(dir.resolve("_delta_log/.00000.json.tmp")));
    assertFalse(Files.exists(dir.resolve("data/.part-1.parquet.crc")), "no checksum file beside the data");
  }

  @Test
  void aRenameOntoAnExistingCommitFailsAsHadoopsWould() throws Exception {
    java.nio.file.Path dir = SharedSpark.tempDir("plain-fs");
    Files.writeString(dir.resolve("00001.json"), "first");
    Files.writeString(dir.resolve("tmp.json"), "second");
    FileContext fc = FileContext.getFileContext(dir.toUri(), plainLocal());

    assertThrows(org.apache.hadoop.fs.FileAlreadyExistsException.class, () -> fc.rename(
        new Path(dir.resolve("tmp.json").toUri()), new Path(dir.resolve("00001.json").toUri()), Options.Rename.NONE));
    assertEquals("first", Files.readString(dir.resolve("00001.json")));
  }

  @Test
  void linkStatusIsHadoopsOwnForFilesLinksAndMissingPaths() throws Exception {
    java.nio.file.Path dir = SharedSpark.tempDir("plain-fs");
    java.nio.file.Path file = Files.writeString(dir.resolve("file.txt"), "x");
    java.nio.file.Path link = Files.createSymbolicLink(dir.resolve("link.txt"), file);
    FileSystem plain = FileSystem.get(dir.toUri(), plainLocal());
    org.apache.hadoop.fs.RawLocalFileSystem hadoops = new org.apache.hadoop.fs.RawLocalFileSystem();
    hadoops.initialize(dir.toUri(), new Configuration(false));

    for (java.nio.file.Path p : List.of(file, link)) {
      FileStatus ours = plain.getFileLinkStatus(new Path(p.toUri()));
      FileStatus theirs = hadoops.getFileLinkStatus(new Path(p.toUri()));
      assertEquals(theirs.isSymlink(), ours.isSymlink(), p + " is a link");
      assertEquals(theirs.isFile(), ours.isFile(), p + " is a file");
      assertEquals(theirs.getLen(), ours.getLen(), p + " length");
      assertEquals(theirs.getModificationTime(), ours.getModificationTime(), p + " modification time");
    }
    assertThrows(FileNotFoundException.class, () -> plain.getFileLinkStatus(new Path(dir.resolve("missing").toUri())));
  }

  @Test
  void permissionsAreTranslatedBitForBit() {
    for (int mode = 0; mode < 01000; mode++) {
      FsPermission permission = new FsPermission((short) mode);
      assertEquals(permission.toString(), PosixFilePermissions.toString(PlainRawLocalFileSystem.posix(permission)),
          "mode " + Integer.toOctalString(mode));
    }
  }

  private interface Work {
    void run() throws IOException;
  }

  /** The commands of the processes this JVM started while {@code work} ran, as Java Flight Recorder saw them. */
  private static List<String> processesStartedWhile(Work work) throws Exception {
    java.nio.file.Path dump = SharedSpark.tempDir("jfr").resolve("processes.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("jdk.ProcessStart").withStackTrace();
      recording.start();
      work.run();
      recording.stop();
      recording.dump(dump);
    }
    List<String> commands = new ArrayList<>();
    for (RecordedEvent event : RecordingFile.readAllEvents(dump)) {
      commands.add(event.getString("command"));
    }
    return commands;
  }
}
