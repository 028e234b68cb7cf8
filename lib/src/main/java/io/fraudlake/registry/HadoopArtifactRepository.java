package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;

/**
 * Artifacts in a storage the cluster can reach directly ({@code dbfs:}, {@code s3a:},
 * {@code abfss:}, {@code gs:}, {@code hdfs:}, {@code file:}), through Hadoop's FileSystem with the
 * active Spark session's Hadoop configuration, so that the cluster's storage credentials apply.
 */
final class HadoopArtifactRepository extends ArtifactRepository {
  private final org.apache.hadoop.fs.Path root;

  HadoopArtifactRepository(String rootUri) {
    super(rootUri);
    // MLflow writes s3:// URIs; Hadoop's S3 connector is s3a.
    String uri = rootUri.startsWith("s3://") ? "s3a://" + rootUri.substring("s3://".length()) : rootUri;
    this.root = new org.apache.hadoop.fs.Path(URI.create(uri));
  }

  private FileSystem fs() {
    Configuration conf = SparkSession.getActiveSession().isDefined()
        ? SparkSession.getActiveSession().get().sparkContext().hadoopConfiguration()
        : new Configuration();
    try {
      return root.getFileSystem(conf);
    } catch (IOException e) {
      throw new FraudLakeException("cannot open artifact storage " + rootUri() + ": " + YamlFiles.firstLine(e.getMessage()), e);
    }
  }

  private org.apache.hadoop.fs.Path resolve(String path) {
    String p = ArtifactPaths.normalize(path);
    return p.isEmpty() ? root : new org.apache.hadoop.fs.Path(root, p);
  }

  @Override
  void put(Path localFile, String path) {
    try {
      fs().copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(localFile.toAbsolutePath().toUri()), resolve(path));
    } catch (IOException e) {
      throw new FraudLakeException("cannot upload " + localFile + " to " + resolve(path) + ": "
          + YamlFiles.firstLine(e.getMessage()), e);
    }
  }

  @Override
  List<Entry> list(String dir) {
    String relDir = ArtifactPaths.normalize(dir);
    List<Entry> out = new ArrayList<>();
    try {
      FileSystem fs = fs();
      org.apache.hadoop.fs.Path target = resolve(relDir);
      if (!fs.exists(target) || !fs.getFileStatus(target).isDirectory()) {
        return out;
      }
      for (FileStatus status : fs.listStatus(target)) {
        String name = status.getPath().getName();
        if (name.endsWith(".crc") && name.startsWith(".")) {
          continue;
        }
        out.add(new Entry(ArtifactPaths.join(relDir, name), status.isDirectory()));
      }
      return out;
    } catch (IOException e) {
      throw new FraudLakeException("cannot list " + resolve(relDir) + ": " + YamlFiles.firstLine(e.getMessage()), e);
    }
  }

  @Override
  void get(String path, Path target) {
    try {
      java.nio.file.Files.createDirectories(target.toAbsolutePath().getParent());
      try (var in = fs().open(resolve(path))) {
        java.nio.file.Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new FraudLakeException("cannot download " + resolve(path) + ": " + YamlFiles.firstLine(e.getMessage()), e);
    }
  }
}
