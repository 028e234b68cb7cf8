package io.fraudlake.spark;

import io.delta.storage.HDFSLogStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * Delta's log store for local folders ({@code spark.delta.logStore.file.impl}, {@code conf/local.conf}):
 * Delta's own HDFS log store, writing commits exactly as it does, with a listing that reads the status of
 * only the log files a reader asks for.
 *
 * <p>Every query and every commit first brings its snapshot up to date by listing the table's
 * {@code _delta_log} from the newest checkpoint on. Delta asks the file system for the status of every
 * entry of the folder and keeps those at or after that version; on a local disk, Hadoop reads each status
 * with several system calls and builds its path from a string. A stream with a one-second trigger adds
 * tens of thousands of commits a day to each table it writes, and Delta keeps them for
 * {@code delta.logRetentionDuration} (30 days): the listing, paid several times per query and per commit,
 * would grow with the table's age. Here the folder's names are read once, without their status, and only
 * the names at or after the requested one are read further. Object stores list from a start key
 * themselves, so only the {@code file} scheme needs this.
 */
public class PlainLocalLogStore extends HDFSLogStore {
  private static final long LOCAL_BLOCK_SIZE = 32L << 20;

  public PlainLocalLogStore(Configuration hadoopConf) {
    super(hadoopConf);
  }

  /** The entries of {@code path}'s folder named at or after {@code path}, sorted by name, as Delta's listing. */
  @Override
  public Iterator<FileStatus> listFrom(Path path, Configuration hadoopConf) throws IOException {
    Path parent = path.getParent();
    String scheme = parent.toUri().getScheme();
    if (scheme != null && !"file".equals(scheme)) {
      return super.listFrom(path, hadoopConf);
    }
    java.nio.file.Path folder = java.nio.file.Path.of(parent.toUri().getPath());
    String[] names = folder.toFile().list();
    if (names == null) {
      throw new FileNotFoundException("No such file or directory: " + parent);
    }
    Arrays.sort(names);
    String first = path.getName();
    long blockSize = hadoopConf.getLong("fs.local.block.size", LOCAL_BLOCK_SIZE);
    List<FileStatus> listed = new ArrayList<>();
    for (String name : names) {
      if (name.compareTo(first) < 0 || isHadoopChecksum(name)) {
        continue;
      }
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(folder.resolve(name), BasicFileAttributes.class);
      } catch (NoSuchFileException removedSinceListed) {
        // Delta's log cleanup (or a concurrent rename of a temporary file) took it: not part of the log.
        continue;
      }
      listed.add(new FileStatus(attributes.size(), attributes.isDirectory(), 1, blockSize,
          attributes.lastModifiedTime().toMillis(), new Path(parent, name)));
    }
    return listed.iterator();
  }

  /** The {@code .name.crc} files Hadoop's checksummed local file system writes and hides from its listings. */
  private static boolean isHadoopChecksum(String name) {
    return name.startsWith(".") && name.endsWith(".crc");
  }
}
