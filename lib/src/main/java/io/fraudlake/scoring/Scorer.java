package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import io.fraudlake.spark.BatchValues;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/** Turns feature rows into gold rows with one model: the same code for streams and backfills. */
public final class Scorer {
  private Scorer() {}

  /**
   * Scores {@code input} (which must satisfy the model's signature, see {@link SignatureCheck}) and
   * selects the gold columns. All rows share {@code scoredAt} so a batch is recognisable in gold.
   */
  public static Dataset<Row> score(Dataset<Row> input, ScoringModel model, Timestamp scoredAt) {
    Dataset<Row> scored = model.transformer().transform(input);
    List<Column> columns = new ArrayList<>();
    for (StructField field : GoldSchema.PREDICTIONS.fields()) {
      Column value = switch (field.name()) {
        case GoldSchema.MODEL_NAME -> lit(model.name());
        case GoldSchema.MODEL_VERSION -> lit(model.version());
        case GoldSchema.SCORED_AT -> BatchValues.timestamp(scoredAt);
        default -> col(field.name());
      };
      columns.add(value.cast(field.dataType()).as(field.name()));
    }
    return scored.select(columns.toArray(Column[]::new));
  }

  /** Gold's columns of a scored batch, in gold's order. */
  public static Dataset<Row> gold(Dataset<Row> scored) {
    return scored.select(GoldSchema.predictionColumns().stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new));
  }
}
