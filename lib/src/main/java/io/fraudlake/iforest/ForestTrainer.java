package io.fraudlake.iforest;

import io.fraudlake.FraudLakeException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.catalyst.InternalRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Grows the trees of an isolation forest on the executors.
 *
 * <p>Pass one counts the rows of every partition (and rejects null, NaN, infinite or ragged vectors).
 * The driver then draws, for every tree, ψ global row numbers (without replacement unless bootstrap)
 * from a random stream seeded by (seed, tree), and broadcasts the sorted draws. Pass two walks each
 * partition, copies out only the drawn rows, tagged with their tree, and stops at its last drawn row;
 * only numTrees × ψ rows are shuffled, grouped by tree, and each tree is grown where its rows land.
 * Only the trees come back to the driver.
 *
 * <p>Row numbers follow the input's row order, so for a seed the forest is the same however that
 * order is split into partitions. The input is read twice and must give the same rows both times
 * (files and cached data do; cache anything non-deterministic first).
 *
 * <p>What grows from each sample is the caller's {@link TreeGrower}: the standard forest's
 * axis-aligned trees here, the extended forest's hyperplane trees in {@code iforest.extended}.
 */
public final class ForestTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(ForestTrainer.class);
  private static final long SAMPLE_STREAM = 1;
  private static final long FEATURE_STREAM = 2;
  private static final long GROWTH_STREAM = 3;

  record Settings(String featuresCol, int numTrees, int maxSamples, double maxFeatures, boolean bootstrap, long seed)
      implements Serializable {}

  record Result(IsolationTree[] trees, int sampleSize, int numFeatures, long rows) {}

  /**
   * How the rows of every tree are drawn. {@code estimator} names the caller in error messages.
   */
  public record Sampling(String estimator, String featuresCol, int numTrees, int maxSamples, boolean bootstrap,
      long seed) implements Serializable {}

  /** Grows one tree from its ψ rows; runs on an executor, so it must be serializable. */
  @FunctionalInterface
  public interface TreeGrower<T> extends Serializable {
    /**
     * @param sample the tree's rows, in the order of their global row numbers
     * @param random the tree's own growth stream, the same for a seed whatever the partitioning
     */
    T grow(int tree, double[][] sample, int numFeatures, int heightLimit, SplittableRandom random);

    /**
     * Runs on the driver once the vectors' width is known, before any tree is grown: a grower that
     * cannot work at that width fails here, with its own one-line error, not inside a Spark task.
     */
    default void checkWidth(int numFeatures) {}
  }

  /** The trees, in tree order, and what the sampling found. */
  public record Grown<T>(List<T> trees, int sampleSize, int numFeatures, long rows) {}

  private ForestTrainer() {}

  static Result train(Dataset<?> dataset, Settings settings) {
    long seed = settings.seed();
    double maxFeatures = settings.maxFeatures();
    Grown<IsolationTree> grown = grow(dataset, new Sampling("IsolationForest", settings.featuresCol(),
            settings.numTrees(), settings.maxSamples(), settings.bootstrap(), seed),
        (tree, sample, numFeatures, heightLimit, random) -> IsolationTreeBuilder.grow(sample,
            featureSubset(seed, tree, numFeatures, Math.max(1, (int) (maxFeatures * numFeatures))), heightLimit,
            random));
    return new Result(grown.trees().toArray(new IsolationTree[0]), grown.sampleSize(), grown.numFeatures(),
        grown.rows());
  }

  /** Draws every tree's sample and grows the trees on the executors (see the class comment). */
  public static <T> Grown<T> grow(Dataset<?> dataset, Sampling settings, TreeGrower<T> grower) {
    long started = System.nanoTime();
    JavaRDD<InternalRow> vectors = dataset.toDF().select(settings.featuresCol())
        .queryExecution().toRdd().toJavaRDD();
    List<PartitionScan> scans = new ArrayList<>(vectors
        .mapPartitionsWithIndex((index, rows) -> List.of(PartitionScan.of(index, rows)).iterator(), false)
        .collect());
    scans.sort((a, b) -> Integer.compare(a.partition, b.partition));
    long rowCount = 0;
    for (PartitionScan scan : scans) {
      rowCount += scan.rows;
    }
    int numFeatures = checkScans(scans, rowCount, settings.featuresCol(), settings.estimator());
    grower.checkWidth(numFeatures);

    int sampleSize = settings.maxSamples();
    if (sampleSize > rowCount) {
      sampleSize = (int) rowCount;
      LOG.warn("maxSamples={} is larger than the {} training rows; each tree is grown from all {} rows, "
          + "as scikit-learn does", settings.maxSamples(), rowCount, rowCount);
    }

    long[] partitionStart = new long[scans.size()];
    long[] partitionRows = new long[scans.size()];
    long start = 0;
    for (PartitionScan scan : scans) {
      partitionStart[scan.partition] = start;
      partitionRows[scan.partition] = scan.rows;
      start += scan.rows;
    }
    SamplePlan plan = SamplePlan.draw(settings, rowCount, sampleSize, partitionStart, partitionRows);

    JavaSparkContext context = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    Broadcast<SamplePlan> planBroadcast = context.broadcast(plan);
    try {
      int width = numFeatures;
      int heightLimit = PathLength.heightLimit(sampleSize);
      int groups = Math.max(1, Math.min(settings.numTrees(), context.defaultParallelism()));
      long seed = settings.seed();
      List<Tuple2<Integer, T>> grown = vectors
          .mapPartitionsWithIndex((index, rows) -> planBroadcast.value().drawnRows(index, rows, width), false)
          .mapToPair(drawn -> new Tuple2<>(drawn.tree, drawn))
          .groupByKey(groups)
          .map(group -> new Tuple2<>(group._1(), grower.grow(group._1(), sampleOf(group._2()), width, heightLimit,
              random(seed, group._1(), GROWTH_STREAM))))
          .collect();
      List<T> trees = new ArrayList<>(Collections.nCopies(settings.numTrees(), null));
      for (Tuple2<Integer, T> tree : grown) {
        trees.set(tree._1(), tree._2());
      }
      for (int t = 0; t < trees.size(); t++) {
        if (trees.get(t) == null) {
          throw new FraudLakeException(settings.estimator() + ": tree " + t + " received no rows: the input changed "
              + "between its two passes; cache a non-deterministic input before fit");
        }
      }
      LOG.info("{}: grew {} trees of {} rows each from {} rows x {} features in {} s", settings.estimator(),
          trees.size(), sampleSize, rowCount, numFeatures, String.format("%.2f", (System.nanoTime() - started) / 1e9));
      return new Grown<>(trees, sampleSize, numFeatures, rowCount);
    } finally {
      planBroadcast.destroy();
    }
  }

  private static int checkScans(List<PartitionScan> scans, long rowCount, String column, String estimator) {
    long nulls = 0;
    int minWidth = Integer.MAX_VALUE;
    int maxWidth = -1;
    for (PartitionScan scan : scans) {
      nulls += scan.nullRows;
      if (scan.rows - scan.nullRows > 0) {
        minWidth = Math.min(minWidth, scan.minWidth);
        maxWidth = Math.max(maxWidth, scan.maxWidth);
      }
    }
    if (rowCount == 0) {
      throw new FraudLakeException(estimator + ": the input is empty (column '" + column + "' has no rows)");
    }
    if (nulls > 0) {
      throw new FraudLakeException(estimator + ": column '" + column + "' has " + nulls
          + " null vectors; drop or fill those rows before fit");
    }
    for (PartitionScan scan : scans) {
      if (scan.nonFiniteFeature >= 0) {
        throw new FraudLakeException(estimator + ": column '" + column + "' contains NaN or infinite values "
            + "(feature " + scan.nonFiniteFeature + " of some rows); fill or drop them before fit, "
            + "e.g. with Imputer or Dataset.na().fill(...)");
      }
    }
    if (minWidth != maxWidth) {
      throw new FraudLakeException(estimator + ": vectors in column '" + column
          + "' have different sizes (" + minWidth + " to " + maxWidth + "); every row needs the same features");
    }
    if (minWidth == 0) {
      throw new FraudLakeException(estimator + ": vectors in column '" + column + "' are empty");
    }
    if (rowCount < 2) {
      throw new FraudLakeException(estimator + ": the input has only 1 row; at least 2 are needed");
    }
    return minWidth;
  }

  private static double[][] sampleOf(Iterable<DrawnRow> drawn) {
    List<DrawnRow> rows = new ArrayList<>();
    drawn.forEach(rows::add);
    // The shuffle delivers rows in any order; the draw order makes the tree independent of it.
    rows.sort((a, b) -> Long.compare(a.rowNumber, b.rowNumber));
    double[][] sample = new double[rows.size()][];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = rows.get(i).values;
    }
    return sample;
  }

  static int[] featureSubset(long seed, int tree, int numFeatures, int featuresPerTree) {
    int[] all = new int[numFeatures];
    for (int i = 0; i < numFeatures; i++) {
      all[i] = i;
    }
    if (featuresPerTree >= numFeatures) {
      return all;
    }
    SplittableRandom random = random(seed, tree, FEATURE_STREAM);
    for (int i = 0; i < featuresPerTree; i++) {
      int pick = i + random.nextInt(numFeatures - i);
      int swap = all[i];
      all[i] = all[pick];
      all[pick] = swap;
    }
    int[] chosen = Arrays.copyOf(all, featuresPerTree);
    Arrays.sort(chosen);
    return chosen;
  }

  /** An independent, reproducible random stream for one purpose of one tree. */
  static SplittableRandom random(long seed, int tree, long stream) {
    long mixed = seed * 0x9E3779B97F4A7C15L + tree * 0xC2B2AE3D27D4EB4FL + stream * 0x165667B19E3779F9L;
    mixed = (mixed ^ (mixed >>> 33)) * 0xFF51AFD7ED558CCDL;
    mixed = (mixed ^ (mixed >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return new SplittableRandom(mixed ^ (mixed >>> 33));
  }

  /** What pass one learns about a partition. */
  static final class PartitionScan implements Serializable {
    private static final long serialVersionUID = 1L;
    int partition;
    long rows;
    long nullRows;
    int minWidth = Integer.MAX_VALUE;
    int maxWidth = -1;
    int nonFiniteFeature = -1;

    static PartitionScan of(int partition, Iterator<InternalRow> rows) {
      PartitionScan scan = new PartitionScan();
      scan.partition = partition;
      while (rows.hasNext()) {
        InternalRow row = rows.next();
        scan.rows++;
        if (row.isNullAt(0)) {
          scan.nullRows++;
          continue;
        }
        InternalRow vector = row.getStruct(0, 4);
        int width = FeatureVectors.width(vector);
        scan.minWidth = Math.min(scan.minWidth, width);
        scan.maxWidth = Math.max(scan.maxWidth, width);
        if (scan.nonFiniteFeature < 0) {
          scan.nonFiniteFeature = FeatureVectors.firstNonFinite(vector);
        }
      }
      return scan;
    }
  }

  /** A row copied out in pass two for one tree, with its global row number. */
  static final class DrawnRow implements Serializable {
    private static final long serialVersionUID = 1L;
    final int tree;
    final long rowNumber;
    final double[] values;

    DrawnRow(int tree, long rowNumber, double[] values) {
      this.tree = tree;
      this.rowNumber = rowNumber;
      this.values = values;
    }
  }

  /**
   * Every tree's drawn row numbers, as one sorted array of {@code rowNumber * numTrees + tree}, so a
   * partition finds its draws with one binary search and walks them alongside its rows.
   */
  static final class SamplePlan implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int numTrees;
    private final long[] draws;
    private final long[] partitionStart;
    private final long[] partitionRows;

    private SamplePlan(int numTrees, long[] draws, long[] partitionStart, long[] partitionRows) {
      this.numTrees = numTrees;
      this.draws = draws;
      this.partitionStart = partitionStart;
      this.partitionRows = partitionRows;
    }

    static SamplePlan draw(Sampling settings, long rowCount, int sampleSize, long[] partitionStart,
        long[] partitionRows) {
      int numTrees = settings.numTrees();
      Math.multiplyExact(rowCount, (long) numTrees);
      long[] draws = new long[Math.multiplyExact(numTrees, sampleSize)];
      int next = 0;
      for (int tree = 0; tree < numTrees; tree++) {
        SplittableRandom random = random(settings.seed(), tree, SAMPLE_STREAM);
        for (long row : drawRows(random, rowCount, sampleSize, settings.bootstrap())) {
          draws[next++] = row * numTrees + tree;
        }
      }
      Arrays.sort(draws);
      return new SamplePlan(numTrees, draws, partitionStart, partitionRows);
    }

    /** ψ row numbers in [0, n): distinct (Floyd's algorithm) unless drawn with replacement. */
    private static long[] drawRows(SplittableRandom random, long rowCount, int sampleSize, boolean withReplacement) {
      long[] rows = new long[sampleSize];
      if (withReplacement) {
        for (int i = 0; i < sampleSize; i++) {
          rows[i] = random.nextLong(rowCount);
        }
        return rows;
      }
      Set<Long> chosen = new HashSet<>(sampleSize * 2);
      int i = 0;
      for (long j = rowCount - sampleSize; j < rowCount; j++) {
        long candidate = random.nextLong(j + 1);
        long row = chosen.add(candidate) ? candidate : j;
        if (row == j) {
          chosen.add(j);
        }
        rows[i++] = row;
      }
      return rows;
    }

    Iterator<DrawnRow> drawnRows(int partition, Iterator<InternalRow> rows, int width) {
      if (partition >= partitionStart.length || partitionRows[partition] == 0) {
        return Collections.emptyIterator();
      }
      long first = partitionStart[partition];
      long end = first + partitionRows[partition];
      int cursor = lowerBound(first * numTrees);
      List<DrawnRow> out = new ArrayList<>();
      long rowNumber = first;
      while (cursor < draws.length && draws[cursor] / numTrees < end && rows.hasNext()) {
        InternalRow row = rows.next();
        double[] values = null;
        while (cursor < draws.length && draws[cursor] / numTrees == rowNumber) {
          if (values == null) {
            values = FeatureVectors.toArray(row.getStruct(0, 4), width);
          }
          out.add(new DrawnRow((int) (draws[cursor] % numTrees), rowNumber, values));
          cursor++;
        }
        rowNumber++;
      }
      return out.iterator();
    }

    private int lowerBound(long key) {
      int index = Arrays.binarySearch(draws, key);
      if (index < 0) {
        return -index - 1;
      }
      while (index > 0 && draws[index - 1] == key) {
        index--;
      }
      return index;
    }
  }
}
