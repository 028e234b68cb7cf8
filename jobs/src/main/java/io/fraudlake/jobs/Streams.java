package io.fraudlake.jobs;

import org.apache.spark.sql.streaming.StreamingQuery;

/** Running streams end with Ctrl-C: stop the query cleanly so its last batch is committed. */
final class Streams {
  private Streams() {}

  static void stopOnShutdown(StreamingQuery query, Runnable afterStop) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (query.isActive()) {
        try {
          query.stop();
        } catch (java.util.concurrent.TimeoutException e) {
          System.err.println("stream " + query.name() + " did not stop in time: " + e.getMessage());
        }
        afterStop.run();
      }
    }, "fraudlake-stop-" + query.name()));
  }
}
