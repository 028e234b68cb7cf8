package io.fraudlake.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fraudlake.FraudLakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.IntegralType;

/**
 * What the training data looked like, per feature: quantile bin edges and the share of training
 * rows in each bin. Logged with the model ({@value #FILE_NAME}) so drift monitoring can bin live
 * traffic with the same edges and compare shares (PSI) against the data the model actually saw.
 *
 * <p>Bin {@code i} holds {@code edges[i-1] <= x < edges[i]}; the first bin is open below and the
 * last open above, so {@code edges.length + 1} bins cover every value. Edges are distinct and
 * ascending; a feature with few distinct values (the 0/1 flags) simply has fewer bins.
 *
 * <p>Integer features (counts, flags) get their edges half-way between integers, at quantile + 0.5:
 * an edge on a value itself would put that value and the ones above it in one bin, and a flag that
 * is 1 on fewer than 1/bins of the rows (is_international_txn, 3%) would have every 0 and every 1 in
 * the same bin, so drift in how often it is set could never show.
 */
public record FeatureReference(String format, long rows, int requestedBins, List<Feature> features) {
  public static final String FILE_NAME = "feature_reference.json";
  public static final String FORMAT = "fraudlake-feature-reference/1";
  private static final double QUANTILE_ERROR = 0.001;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One feature's bins over the training rows. */
  public record Feature(String name, double[] edges, double[] proportions, double min, double max, double mean)
      implements java.io.Serializable {
    /** The bin a value falls in, by the rule in {@link FeatureReference}. */
    public int binOf(double value) {
      int i = Arrays.binarySearch(edges, value);
      // An exact hit on edges[i] belongs to the bin that starts there (bin i + 1).
      return i >= 0 ? i + 1 : -i - 1;
    }

    public int bins() {
      return edges.length + 1;
    }
  }

  /** Bins every column of {@code names} in {@code data} into (at most) {@code bins} quantile bins. */
  public static FeatureReference compute(Dataset<Row> data, List<String> names, int bins) {
    if (bins < 2) {
      throw new FraudLakeException("the feature reference needs at least 2 bins, not " + bins);
    }
    String[] columns = names.toArray(String[]::new);
    Dataset<Row> numeric = data.select(names.stream().map(n -> col(n).cast("double").as(n)).toArray(Column[]::new));
    double[] probabilities = new double[bins - 1];
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] = (i + 1) / (double) bins;
    }
    double[][] quantiles = numeric.stat().approxQuantile(columns, probabilities, QUANTILE_ERROR);

    List<double[]> edgesPerFeature = new ArrayList<>();
    List<Column> aggregates = new ArrayList<>();
    aggregates.add(count(lit(1)));
    for (int f = 0; f < columns.length; f++) {
      boolean between = data.schema().apply(columns[f]).dataType() instanceof IntegralType;
      double[] edges = Arrays.stream(quantiles[f]).filter(Double::isFinite)
          .map(q -> between ? Math.floor(q) + 0.5 : q).distinct().sorted().toArray();
      edgesPerFeature.add(edges);
      Column x = col(columns[f]);
      for (int b = 0; b <= edges.length; b++) {
        Column inBin = lit(true);
        if (b > 0) {
          inBin = inBin.and(x.geq(edges[b - 1]));
        }
        if (b < edges.length) {
          inBin = inBin.and(x.lt(edges[b]));
        }
        aggregates.add(sum(when(inBin, 1L).otherwise(0L)));
      }
      aggregates.add(org.apache.spark.sql.functions.min(x));
      aggregates.add(org.apache.spark.sql.functions.max(x));
      aggregates.add(org.apache.spark.sql.functions.avg(x));
    }
    Row row = numeric.agg(aggregates.get(0), aggregates.subList(1, aggregates.size()).toArray(Column[]::new)).first();
    long rows = row.getLong(0);
    if (rows == 0) {
      throw new FraudLakeException("cannot compute feature reference statistics on an empty training set");
    }
    List<Feature> features = new ArrayList<>();
    int at = 1;
    for (int f = 0; f < columns.length; f++) {
      double[] edges = edgesPerFeature.get(f);
      double[] proportions = new double[edges.length + 1];
      for (int b = 0; b < proportions.length; b++) {
        proportions[b] = row.isNullAt(at) ? 0.0 : row.getLong(at) / (double) rows;
        at++;
      }
      double minValue = row.isNullAt(at) ? Double.NaN : row.getDouble(at);
      double maxValue = row.isNullAt(at + 1) ? Double.NaN : row.getDouble(at + 1);
      double mean = row.isNullAt(at + 2) ? Double.NaN : row.getDouble(at + 2);
      at += 3;
      features.add(new Feature(columns[f], edges, proportions, minValue, maxValue, mean));
    }
    return new FeatureReference(FORMAT, rows, bins, List.copyOf(features));
  }

  public Feature feature(String name) {
    return features.stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new FraudLakeException("the feature reference has no feature " + name));
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new FraudLakeException("cannot write the feature reference as JSON: " + e.getMessage(), e);
    }
  }

  public Path write(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, toJson());
      return file;
    } catch (IOException e) {
      throw new FraudLakeException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public static FeatureReference fromJson(String json) {
    try {
      FeatureReference reference = JSON.readValue(json, FeatureReference.class);
      if (!FORMAT.equals(reference.format())) {
        throw new FraudLakeException("unsupported feature reference format " + reference.format() + " (expected " + FORMAT + ")");
      }
      return reference;
    } catch (IOException e) {
      throw new FraudLakeException("cannot read the feature reference: " + e.getMessage(), e);
    }
  }

  public static FeatureReference read(Path file) {
    try {
      return fromJson(Files.readString(file));
    } catch (IOException e) {
      throw new FraudLakeException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
