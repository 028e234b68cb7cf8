package io.fraudlake.registry;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The system tags MLflow's own clients put on a run, so FraudLake runs look the same in the UI. */
final class RunTags {
  static final String RUN_NAME = "mlflow.runName";
  static final String USER = "mlflow.user";
  static final String SOURCE_NAME = "mlflow.source.name";
  static final String SOURCE_TYPE = "mlflow.source.type";

  private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private RunTags() {}

  static Map<String, String> forNewRun(String runName, Map<String, String> tags) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(USER, user());
    all.put(SOURCE_NAME, "fraudlake");
    all.put(SOURCE_TYPE, "JOB");
    if (tags != null) {
      tags.forEach((k, v) -> all.put(Names.key("tag", k), v == null ? "" : v));
    }
    String name = runName != null && !runName.isBlank() ? runName : all.get(RUN_NAME);
    if (name == null || name.isBlank()) {
      name = "run-" + NAME_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    }
    all.put(RUN_NAME, name);
    return all;
  }

  static String user() {
    String user = System.getProperty("user.name");
    return user == null || user.isBlank() ? "unknown" : user;
  }
}
