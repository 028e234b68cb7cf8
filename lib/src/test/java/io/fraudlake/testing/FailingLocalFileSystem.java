package io.fraudlake.testing;

import io.fraudlake.spark.PlainLocalFileSystem;

/** {@link FailingRawLocalFileSystem} as {@code fs.file.impl}: the local file system without checksums. */
public class FailingLocalFileSystem extends PlainLocalFileSystem {
  public FailingLocalFileSystem() {
    super(new FailingRawLocalFileSystem());
  }
}
