package io.fraudlake.spark;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Side-by-side work inside one micro-batch: Delta commits spend most of their time waiting on the
 * file system and the log, so a batch that makes several runs them at once.
 *
 * <p>Each task gets a thread of its own, created from the batch's thread, so it inherits Spark's
 * local properties (the stream's query id and job group) as Spark's own threads would; a pool's
 * threads would carry whichever batch's properties created them.
 */
public final class BatchThreads {
  private BatchThreads() {}

  public static <T> CompletableFuture<T> start(String name, Supplier<T> task) {
    return CompletableFuture.supplyAsync(task, runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      thread.start();
    });
  }

  public static CompletableFuture<Void> run(String name, Runnable task) {
    return start(name, () -> {
      task.run();
      return null;
    });
  }

  /** The task's result; its own exception is rethrown as it was, not wrapped. */
  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** Waits for every task, then rethrows the first failure, so no task is still writing when the batch fails. */
  public static void joinAll(Iterable<CompletableFuture<?>> futures) {
    RuntimeException first = null;
    for (CompletableFuture<?> f : futures) {
      try {
        join(f);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
