package io.fraudlake.testing;

import io.fraudlake.spark.PlainRawLocalFileSystem;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The local file system with one storage fault: creating or renaming onto a path that matches the
 * Hadoop setting {@value #FAIL_PATH} (a regular expression over the absolute path) throws the
 * IOException a full disk gives. A job started with it (Spark settings {@code spark.hadoop.*}) meets
 * the fault where Delta writes that file: a commit of one chosen version of one table.
 */
public class FailingRawLocalFileSystem extends PlainRawLocalFileSystem {
  public static final String FAIL_PATH = "fraudlake.test.fail-path";
  public static final String MESSAGE = "No space left on device";

  private Pattern failing;

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
    String regex = conf.get(FAIL_PATH);
    failing = regex == null || regex.isEmpty() ? null : Pattern.compile(regex);
  }

  private void check(Path path) throws IOException {
    if (failing != null && failing.matcher(pathToFile(path).getAbsolutePath()).matches()) {
      throw new IOException(MESSAGE);
    }
  }

  @Override
  protected OutputStream createOutputStream(Path f, boolean append) throws IOException {
    check(f);
    return super.createOutputStream(f, append);
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission) throws IOException {
    check(f);
    return super.createOutputStreamWithMode(f, append, permission);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    check(dst);
    return super.rename(src, dst);
  }
}
