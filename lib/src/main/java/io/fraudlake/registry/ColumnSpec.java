package io.fraudlake.registry;

import java.util.Objects;

/**
 * One named column of an MLflow model signature, with MLflow's type name ({@code double},
 * {@code float}, {@code long}, {@code integer}, {@code boolean}, {@code string}, {@code binary},
 * {@code datetime}).
 */
public record ColumnSpec(String name, String type, boolean required) {
  public ColumnSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }

  public static ColumnSpec of(String name, String type) {
    return new ColumnSpec(name, type, true);
  }

  @Override
  public String toString() {
    return name + ": " + type;
  }
}
