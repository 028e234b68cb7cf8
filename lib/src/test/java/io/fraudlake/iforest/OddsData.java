package io.fraudlake.iforest;

import io.fraudlake.testing.SharedSpark;
import java.util.Arrays;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The ODDS benchmark files as (features vector, label), cached for the tests that share them. */
public final class OddsData {
  private OddsData() {}

  public static Dataset<Row> load(String name) {
    Dataset<Row> raw = SharedSpark.session().read()
        .option("comment", "#")
        .option("inferSchema", "true")
        .csv(SharedSpark.oddsFile(name).toString());
    String[] columns = raw.columns();
    String label = columns[columns.length - 1];
    String[] features = Arrays.copyOf(columns, columns.length - 1);
    Dataset<Row> assembled = new VectorAssembler().setInputCols(features).setOutputCol("features")
        .transform(raw)
        .select(raw.col(label).cast("int").as("label"), org.apache.spark.sql.functions.col("features"));
    return assembled.cache();
  }
}
