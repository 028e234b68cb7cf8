package io.fraudlake.spark;

import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Hadoop's local file system without its {@code .crc} side files, for {@code fs.file.impl} on one
 * machine ({@code conf/local.conf}). Without Hadoop's native library every file it creates or
 * renames starts a process ({@code chmod}, {@code readlink}), twice with the checksum file beside it;
 * the streams' logs, Delta's commits and the state store create several files a second. The plain
 * {@link RawLocalFileSystem} would do, but Spark's RocksDB state store copies its files through
 * {@code FileSystem.getLocal}, which must be a {@link LocalFileSystem}: this is one, over the raw file
 * system, writing and checking no checksums.
 */
public class PlainLocalFileSystem extends LocalFileSystem {
  public PlainLocalFileSystem() {
    super(new RawLocalFileSystem());
    setWriteChecksum(false);
    setVerifyChecksum(false);
  }
}
