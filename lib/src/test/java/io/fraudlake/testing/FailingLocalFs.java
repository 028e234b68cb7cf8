package io.fraudlake.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;

/** {@link FailingRawLocalFileSystem} as {@code fs.AbstractFileSystem.file.impl}, the way Delta's log store writes. */
public class FailingLocalFs extends DelegateToFileSystem {
  public FailingLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
    super(uri, new FailingRawLocalFileSystem(), conf, "file", false);
  }

  @Override
  public int getUriDefaultPort() {
    return -1;
  }

  @Override
  public boolean isValidName(String src) {
    return true;
  }
}
