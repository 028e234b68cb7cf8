package io.fraudlake.spark;

import org.apache.hadoop.fs.LocalFileSystem;

/**
 * Hadoop's local file system without its {@code .crc} side files and without the processes Hadoop
 * starts when its native library is missing ({@link PlainRawLocalFileSystem}), for {@code fs.file.impl}
 * on one machine ({@code conf/local.conf}). The streams' logs, Delta's commits and the state store
 * create several files a second. A raw file system alone would do, but Spark's RocksDB state store
 * copies its files through {@code FileSystem.getLocal}, which must be a {@link LocalFileSystem}: this
 * is one, over the raw file system, writing and checking no checksums.
 */
public class PlainLocalFileSystem extends LocalFileSystem {
  public PlainLocalFileSystem() {
    this(new PlainRawLocalFileSystem());
  }

  /** The same over another raw local file system (one that injects faults, in tests). */
  protected PlainLocalFileSystem(PlainRawLocalFileSystem raw) {
    super(raw);
    setWriteChecksum(false);
    setVerifyChecksum(false);
  }
}
