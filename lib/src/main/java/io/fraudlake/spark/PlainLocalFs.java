package io.fraudlake.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;

/**
 * The local file system as {@code FileContext} sees it ({@code fs.AbstractFileSystem.file.impl}),
 * over {@link PlainRawLocalFileSystem}: Delta's log store and Spark's checkpoint files write and
 * rename through {@code FileContext}, and Hadoop's own {@code RawLocalFs} starts a {@code readlink}
 * process before each rename.
 */
public class PlainLocalFs extends DelegateToFileSystem {
  public PlainLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
    this(uri, conf, new PlainRawLocalFileSystem());
  }

  /** The same over another raw local file system (one that injects faults, in tests). */
  protected PlainLocalFs(URI uri, Configuration conf, PlainRawLocalFileSystem raw) throws IOException, URISyntaxException {
    super(uri, raw, conf, "file", false);
  }

  @Override
  public int getUriDefaultPort() {
    return -1;
  }

  /** Local names are checked by the local file system itself, as Hadoop's {@code RawLocalFs} leaves them. */
  @Override
  public boolean isValidName(String src) {
    return true;
  }
}
