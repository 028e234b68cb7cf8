package io.fraudlake.testing;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark jobs and stages an action starts. Jobs are told apart by a job group set on the calling
 * thread (Spark passes it on to the jobs that thread starts, SQL ones included), so a streaming query
 * another test left running is not counted. Listener events arrive asynchronously but in order: once
 * a marker job run after the action is seen, every job the action started has been seen too.
 */
public final class SparkJobs {
  private static final String GROUP = "spark.jobGroup.id";

  private SparkJobs() {}

  /** What is watched: a save or load, which Spark ML declares as throwing IOException. */
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }

  /** One line per job and per stage {@code action} started, in order; empty when it ran on the driver alone. */
  public static List<String> startedBy(SparkSession spark, Action action) throws Exception {
    SparkContext context = spark.sparkContext();
    String group = "fraudlake-counted-" + UUID.randomUUID();
    String marker = "fraudlake-marker-" + UUID.randomUUID();
    List<String> started = new CopyOnWriteArrayList<>();
    CountDownLatch markerSeen = new CountDownLatch(1);
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        String jobGroup = job.properties() == null ? null : job.properties().getProperty(GROUP);
        if (marker.equals(jobGroup)) {
          markerSeen.countDown();
        } else if (group.equals(jobGroup)) {
          started.add("job " + job.jobId() + " (" + job.stageInfos().size() + " stages)");
        }
      }

      @Override
      public void onStageSubmitted(SparkListenerStageSubmitted stage) {
        if (stage.properties() != null && group.equals(stage.properties().getProperty(GROUP))) {
          started.add("stage " + stage.stageInfo().stageId() + ": " + stage.stageInfo().name());
        }
      }
    };
    context.addSparkListener(listener);
    try {
      context.setJobGroup(group, "counted", false);
      try {
        action.run();
      } finally {
        context.clearJobGroup();
      }
      context.setJobGroup(marker, "marker", false);
      try {
        spark.range(1).count();
      } finally {
        context.clearJobGroup();
      }
      if (!markerSeen.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("Spark's listener bus did not deliver the marker job within 60 s");
      }
      return List.copyOf(started);
    } finally {
      context.removeSparkListener(listener);
    }
  }
}
