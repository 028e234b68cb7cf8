package io.fraudlake.iforest;

import static org.apache.spark.sql.functions.randn;

import io.fraudlake.iforest.extended.ExtendedIsolationForest;
import io.fraudlake.iforest.extended.ExtendedIsolationForestModel;
import io.fraudlake.testing.SharedSpark;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Save and load times of both forests at 100 and 1000 trees (ψ = 256, 8 features); off by default.
 * Run with {@code ./mvnw -q -B -o -pl lib test -Dtest=ForestPersistenceTimingTest -Dfraudlake.timing=true}.
 */
@EnabledIfSystemProperty(named = "fraudlake.timing", matches = "true")
class ForestPersistenceTimingTest {
  private static final int FEATURES = 8;
  private static final int RUNS = 7;

  /** The machine is shared, so the JVM's CPU time (Spark's local executors included) is reported beside wall time. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static Dataset<Row> data() {
    SparkSession spark = SharedSpark.session();
    Column[] columns = new Column[FEATURES];
    String[] names = new String[FEATURES];
    for (int f = 0; f < FEATURES; f++) {
      names[f] = "f" + f;
      columns[f] = randn(f).as(names[f]);
    }
    return new VectorAssembler().setInputCols(names).setOutputCol("features")
        .transform(spark.range(0, 5_000, 1, 2).select(columns)).select("features").cache();
  }

  @Test
  void saveAndLoadTimes() throws IOException {
    Dataset<Row> data = data();
    for (int trees : new int[] {100, 1000}) {
      IsolationForestModel standard = new IsolationForest().setNumTrees(trees).setMaxSamples(256).setSeed(1).fit(data);
      time("IsolationForestModel", trees, standard, IsolationForestModel::load);
      ExtendedIsolationForestModel extended = new ExtendedIsolationForest().setNumTrees(trees).setMaxSamples(256)
          .setSeed(1).fit(data);
      time("ExtendedIsolationForestModel", trees, extended, ExtendedIsolationForestModel::load);
    }
  }

  private static void time(String name, int trees, MLWritable model, Function<String, ?> load) throws IOException {
    String path = SharedSpark.tempDir("persist-timing").resolve("model").toString();
    double[] save = new double[RUNS];
    double[] read = new double[RUNS];
    double[] saveCpu = new double[RUNS];
    double[] readCpu = new double[RUNS];
    // One unmeasured round first: class loading and the JIT would otherwise be billed to the first run.
    model.write().overwrite().save(path);
    load.apply(path);
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      long cpu = processCpuNanos();
      model.write().overwrite().save(path);
      save[run] = (System.nanoTime() - start) / 1e6;
      saveCpu[run] = (processCpuNanos() - cpu) / 1e6;
      start = System.nanoTime();
      cpu = processCpuNanos();
      load.apply(path);
      read[run] = (System.nanoTime() - start) / 1e6;
      readCpu[run] = (processCpuNanos() - cpu) / 1e6;
    }
    long bytes;
    try (Stream<Path> files = Files.walk(Path.of(path))) {
      bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    System.out.printf("%s %d trees (%d KiB on disk): save median %.0f ms wall (min %.0f), %.0f ms CPU; "
        + "load median %.0f ms wall (min %.0f), %.0f ms CPU%n", name, trees, bytes / 1024, median(save),
        Arrays.stream(save).min().orElseThrow(), median(saveCpu), median(read), Arrays.stream(read).min().orElseThrow(),
        median(readCpu));
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
