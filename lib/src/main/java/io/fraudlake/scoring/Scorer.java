package io.fraudlake.scoring;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.sql.Timestamp;
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
    Column[] columns = new Column[GoldSchema.PREDICTIONS.size()];
    int i = 0;
    for (StructField field : GoldSchema.PREDICTIONS.fields()) {
      Column value = switch (field.name()) {
        case GoldSchema.MODEL_NAME -> lit(model.name());
        case GoldSchema.MODEL_VERSION -> lit(model.version());
        case GoldSchema.SCORED_AT -> lit(scoredAt);
        default -> col(field.name());
      };
      columns[i++] = value.cast(field.dataType()).as(field.name());
    }
    return scored.select(columns);
  }
}
