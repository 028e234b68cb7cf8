package io.fraudlake.evaluation;

/**
 * Counts of scores per equal-width bin, separately for legitimate and fraud rows. The last bin is
 * closed on the right so a score equal to {@code max} is counted.
 */
public record ScoreHistogram(double min, double max, long[] negativeCounts, long[] positiveCounts) {

  public int bins() {
    return negativeCounts.length;
  }

  public double binWidth() {
    return (max - min) / bins();
  }

  /** The {@code bins() + 1} bin edges from {@code min} to {@code max}. */
  public double[] edges() {
    double[] edges = new double[bins() + 1];
    for (int i = 0; i <= bins(); i++) {
      edges[i] = i == bins() ? max : min + i * binWidth();
    }
    return edges;
  }

  /** Share of the class's rows that fall in each bin (sums to 1 when the class has rows). */
  public static double[] shares(long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    double[] shares = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      shares[i] = total == 0 ? 0.0 : (double) counts[i] / total;
    }
    return shares;
  }
}
