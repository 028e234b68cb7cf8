package io.fraudlake.bench;

import org.apache.spark.sql.SparkSession;

/** The session every Spark benchmark uses; the LinkedIn runner builds the same one on Spark 3.5. */
final class Spark {
  private Spark() {}

  static SparkSession localSession(String app) {
    return SparkSession.builder()
        .appName(app)
        .master(System.getProperty("spark.master", "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate();
  }
}
