package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import java.util.regex.Pattern;

/** Checks shared by both backends so that they accept and refuse the same names. */
final class Names {
  // MLflow's rule for param, metric and tag keys: alphanumerics, '_', '-', '.', ' ' and '/'.
  private static final Pattern KEY = Pattern.compile("[\\w\\-. /]{1,250}");

  private Names() {}

  static String key(String kind, String key) {
    if (key == null || !KEY.matcher(key).matches() || key.startsWith("/") || key.endsWith("/")
        || key.contains("//") || ("/" + key + "/").contains("/../") || ("/" + key + "/").contains("/./")) {
      throw new FraudLakeException("invalid " + kind + " name '" + key
          + "': use letters, digits, '_', '-', '.', ' ' or '/' (no '..' segments), at most 250 characters");
    }
    return key;
  }

  static String modelName(String name) {
    ModelUri.requireName(name, String.valueOf(name));
    if (name.contains("%") || name.equals(".") || name.equals("..") || name.contains("\\")) {
      throw new FraudLakeException("invalid registered model name '" + name + "'");
    }
    return name;
  }

  static String alias(String alias) {
    ModelUri.requireAlias(alias);
    return alias;
  }

  static String experimentName(String name) {
    if (name == null || name.isBlank()) {
      throw new FraudLakeException("experiment name must not be empty");
    }
    return name;
  }

  static String runId(String runId) {
    if (runId == null || !runId.matches("[A-Za-z0-9][\\w\\-]{0,255}")) {
      throw new FraudLakeException("invalid run id '" + runId + "'");
    }
    return runId;
  }

  static long version(long version) {
    if (version < 1) {
      throw new FraudLakeException("model version must be a positive integer, got " + version);
    }
    return version;
  }
}
