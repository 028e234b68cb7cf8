package io.fraudlake.iforest;

/**
 * The average path length c(n) of an unsuccessful search in a binary search tree of n points, used to
 * normalise path lengths and to credit a leaf that still holds n points with the depth a full tree
 * would have added below it. Matches scikit-learn's {@code _average_path_length}: 0 for n &le; 1, 1 for
 * n = 2, otherwise {@code 2 (ln(n - 1) + γ) - 2 (n - 1) / n}.
 */
public final class PathLength {
  /** The Euler–Mascheroni constant, as numpy's {@code euler_gamma}. */
  static final double EULER_GAMMA = 0.5772156649015329;

  private PathLength() {}

  public static double average(long n) {
    if (n <= 1) {
      return 0.0;
    }
    if (n == 2) {
      return 1.0;
    }
    double m = n - 1.0;
    return 2.0 * (Math.log(m) + EULER_GAMMA) - 2.0 * m / n;
  }

  /** The height limit for trees grown from {@code sampleSize} points: ceil(log2(max(ψ, 2))). */
  public static int heightLimit(int sampleSize) {
    int n = Math.max(sampleSize, 2);
    return 32 - Integer.numberOfLeadingZeros(n - 1);
  }
}
