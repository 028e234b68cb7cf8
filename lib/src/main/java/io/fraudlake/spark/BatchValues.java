package io.fraudlake.spark;

import java.sql.Timestamp;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Values that change with every micro-batch (its ingest time, its watermark, its scoring time) as
 * columns whose generated code does not change with them. Spark writes a timestamp literal into the
 * Java source it generates for a stage, so a plan holding {@code lit(now)} is compiled again on every
 * batch: in the live pipeline that was hundreds of compilations a minute, each taking tens of
 * milliseconds from two cores, for bronze's parse expression above all. A function returning the
 * value is called through a reference instead, and the compiled stage is reused from Spark's cache.
 *
 * <p>Not for filters that Delta should skip files with: data skipping needs a literal.
 */
public final class BatchValues {
  private BatchValues() {}

  public static Column timestamp(Timestamp value) {
    Timestamp copy = new Timestamp(value.getTime());
    copy.setNanos(value.getNanos());
    UserDefinedFunction constant = functions.udf((UDF0<Timestamp>) () -> copy, DataTypes.TimestampType);
    return constant.apply();
  }
}
