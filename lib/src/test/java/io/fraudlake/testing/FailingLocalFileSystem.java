package io.fraudlake.testing;

import org.apache.hadoop.fs.LocalFileSystem;

/** {@link FailingRawLocalFileSystem} as {@code fs.file.impl}: a local file system without checksums. */
public class FailingLocalFileSystem extends LocalFileSystem {
  public FailingLocalFileSystem() {
    super(new FailingRawLocalFileSystem());
    setWriteChecksum(false);
    setVerifyChecksum(false);
  }
}
