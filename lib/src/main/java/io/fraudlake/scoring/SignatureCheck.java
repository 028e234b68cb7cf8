package io.fraudlake.scoring;

import io.fraudlake.FraudLakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Verifies that an input table can feed a model: every input of the model's signature present with
 * its exact type, plus the columns a gold row carries. Checked before a stream starts and again at
 * every batch (the model may have changed), so a mismatch stops scoring instead of writing wrong
 * scores.
 */
public final class SignatureCheck {
  private SignatureCheck() {}

  public static void require(StructType input, String inputName, ScoringModel model) {
    List<String> problems = problems(input, model.signature());
    Map<String, StructField> byName = byName(input);
    for (String column : GoldSchema.PASS_THROUGH) {
      if (!byName.containsKey(column.toLowerCase(Locale.ROOT))) {
        problems.add(column + " missing (needed in gold)");
      }
    }
    if (!problems.isEmpty()) {
      throw new FraudLakeException(inputName + " does not match the signature of " + model.label() + ": "
          + String.join(", ", problems));
    }
  }

  /** Human-readable differences, empty when {@code input} satisfies {@code signature}. */
  public static List<String> problems(StructType input, StructType signature) {
    Map<String, StructField> byName = byName(input);
    List<String> problems = new ArrayList<>();
    for (StructField expected : signature.fields()) {
      StructField actual = byName.get(expected.name().toLowerCase(Locale.ROOT));
      if (actual == null) {
        problems.add(expected.name() + " missing (model expects " + typeName(expected.dataType()) + ")");
      } else if (!actual.name().equals(expected.name())) {
        problems.add(expected.name() + " spelled " + actual.name());
      } else if (!actual.dataType().equals(expected.dataType())) {
        problems.add(expected.name() + " is " + typeName(actual.dataType()) + ", model expects " + typeName(expected.dataType()));
      }
    }
    return problems;
  }

  private static Map<String, StructField> byName(StructType schema) {
    return java.util.Arrays.stream(schema.fields())
        .collect(Collectors.toMap(f -> f.name().toLowerCase(Locale.ROOT), Function.identity(), (a, b) -> a));
  }

  private static String typeName(DataType type) {
    return type.simpleString();
  }
}
