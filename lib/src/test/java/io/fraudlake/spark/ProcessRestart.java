package io.fraudlake.spark;

import org.apache.spark.sql.delta.DeltaLog;

/** What a test does to act as a process started after a crash: nothing is known about earlier commits. */
public final class ProcessRestart {
  private ProcessRestart() {}

  public static void forgetEverythingCommitted() {
    DeltaWrites.forgetCommits();
    DeltaLog.clearCache();
  }
}
