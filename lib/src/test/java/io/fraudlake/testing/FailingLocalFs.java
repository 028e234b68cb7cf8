package io.fraudlake.testing;

import io.fraudlake.spark.PlainLocalFs;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.apache.hadoop.conf.Configuration;

/** {@link FailingRawLocalFileSystem} as {@code fs.AbstractFileSystem.file.impl}, the way Delta's log store writes. */
public class FailingLocalFs extends PlainLocalFs {
  public FailingLocalFs(URI uri, Configuration conf) throws IOException, URISyntaxException {
    super(uri, conf, new FailingRawLocalFileSystem());
  }
}
