package io.fraudlake.training;

import io.fraudlake.spark.Lakehouse;
import io.fraudlake.spark.Tables;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A silver-shaped table written straight to Delta, for tests that need labelled feature rows but not
 * the bronze/silver jobs: ordinary card traffic plus a few percent fraud that looks like fraud
 * (large, international, bursty) and a third of it indistinguishable from normal traffic, one
 * transaction per second from {@link #START}.
 */
public final class SilverFixture {
  public static final Instant START = Instant.parse("2024-03-01T00:00:00Z");

  public static final StructType SCHEMA = new StructType()
      .add("TransactionID", DataTypes.StringType, false)
      .add("event_timestamp", DataTypes.TimestampType, false)
      .add("card_id", DataTypes.StringType, false)
      .add("ProductCD", DataTypes.StringType, false)
      .add("card_country", DataTypes.StringType, true)
      .add("merchant_country", DataTypes.StringType, true)
      .add("isFraud", DataTypes.IntegerType, true)
      .add("TransactionAmt", DataTypes.DoubleType, false)
      .add("log_transaction_amount", DataTypes.DoubleType, false)
      .add("is_high_value_txn", DataTypes.IntegerType, false)
      .add("is_international_txn", DataTypes.IntegerType, false)
      .add("txn_count_5min", DataTypes.LongType, false)
      .add("avg_amount_5min", DataTypes.DoubleType, false)
      .add("stddev_amount_5min", DataTypes.DoubleType, false)
      .add("product_diversity_5min", DataTypes.LongType, false);

  private SilverFixture() {}

  /** {@code rows} transactions, about {@code fraudRate} of them fraud, deterministic for a seed. */
  public static Dataset<Row> rows(SparkSession spark, int rows, double fraudRate, long seed) {
    Random random = new Random(seed);
    List<Row> out = new ArrayList<>(rows);
    String[] products = {"W", "H", "C", "S", "R"};
    for (int i = 0; i < rows; i++) {
      boolean fraud = random.nextDouble() < fraudRate;
      double amount;
      int international;
      long count;
      long diversity;
      double avg;
      double stddev;
      // A third of the fraud looks like ordinary traffic, so no model is perfect (ROC-AUC well below 1).
      boolean quietFraud = fraud && random.nextDouble() < 0.35;
      if (fraud && !quietFraud) {
        amount = 400 + random.nextDouble() * 3000;
        international = random.nextDouble() < 0.7 ? 1 : 0;
        count = 3 + random.nextInt(8);
        diversity = 1 + random.nextInt((int) Math.min(count, 5));
        avg = amount * (0.6 + random.nextDouble() * 0.6);
        stddev = avg * (0.3 + random.nextDouble());
      } else {
        amount = Math.exp(3.2 + random.nextGaussian() * 0.8);
        international = random.nextDouble() < 0.04 ? 1 : 0;
        count = random.nextDouble() < 0.85 ? 1 : 2;
        diversity = count == 1 ? 1 : 1 + random.nextInt(2);
        avg = count == 1 ? amount : amount * (0.8 + random.nextDouble() * 0.4);
        stddev = count == 1 ? 0.0 : avg * random.nextDouble() * 0.3;
      }
      String cardCountry = "US";
      String merchantCountry = international == 1 ? "GB" : "US";
      out.add(RowFactory.create(
          "T" + seed + "-" + i,
          Timestamp.from(START.plusSeconds(i)),
          "card-" + random.nextInt(500),
          products[random.nextInt(products.length)],
          cardCountry,
          merchantCountry,
          fraud ? 1 : 0,
          amount,
          Math.log1p(amount),
          amount > 1000.0 ? 1 : 0,
          international,
          count,
          avg,
          stddev,
          diversity));
    }
    return spark.createDataFrame(out, SCHEMA);
  }

  /** Writes the rows as the silver table of {@code lakehouse} (appending if it exists). */
  public static void writeSilver(Lakehouse lakehouse, int rows, double fraudRate, long seed) {
    lakehouse.append(rows(lakehouse.spark(), rows, fraudRate, seed).repartition(2), Tables.SILVER);
  }
}
