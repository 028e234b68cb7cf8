package io.fraudlake.training;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Console progress of a long command: one line per step with what it found and how long it took,
 * so a user watching a training run sees where the minutes go. The library never prints on its own;
 * commands pass {@link #to(PrintStream)}, tests {@link #silent()}.
 */
public final class Progress {
  private final PrintStream out;
  private final String prefix;

  private Progress(PrintStream out, String prefix) {
    this.out = out;
    this.prefix = prefix;
  }

  public static Progress to(PrintStream out, String prefix) {
    return new Progress(out, prefix);
  }

  public static Progress silent() {
    return new Progress(null, "");
  }

  /**
   * Runs one step; prints "{@code prefix: step ...}" before and "{@code   -> result (1.2 s)}" after,
   * where the result line comes from {@code outcome} applied to what the step returned.
   */
  public <T> T step(String what, Supplier<T> work, java.util.function.Function<T, String> outcome) {
    print(prefix + ": " + what + " ...");
    long start = System.nanoTime();
    T result = work.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    String detail = outcome.apply(result);
    print(String.format(Locale.ROOT, "  %s(%.1f s)", detail == null || detail.isBlank() ? "" : detail + " ", seconds));
    return result;
  }

  public void step(String what, Runnable work) {
    step(what, () -> {
      work.run();
      return null;
    }, ignored -> "done");
  }

  /** A line of its own, e.g. the summary. */
  public void line(String text) {
    print(text);
  }

  private void print(String text) {
    if (out != null) {
      out.println(text);
      out.flush();
    }
  }
}
