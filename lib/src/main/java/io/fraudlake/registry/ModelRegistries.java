package io.fraudlake.registry;

import io.fraudlake.FraudLakeException;
import io.fraudlake.config.FraudLakeConfig;
import java.util.Locale;
import java.util.Map;

/** Chooses the registry backend from MLflow's standard environment variables. */
public final class ModelRegistries {
  public static final String TRACKING_URI = "MLFLOW_TRACKING_URI";
  public static final String TRACKING_TOKEN = "MLFLOW_TRACKING_TOKEN";
  public static final String TRACKING_USERNAME = "MLFLOW_TRACKING_USERNAME";
  public static final String TRACKING_PASSWORD = "MLFLOW_TRACKING_PASSWORD";
  public static final String DATABRICKS_HOST = "DATABRICKS_HOST";
  public static final String DATABRICKS_TOKEN = "DATABRICKS_TOKEN";

  private ModelRegistries() {}

  /**
   * {@code MLFLOW_TRACKING_URI} unset or empty: the local registry under the runtime folder
   * ({@code file:///path} puts it elsewhere);
   * {@code http(s)://...}: that MLflow server, with {@code MLFLOW_TRACKING_TOKEN} (bearer) or
   * {@code MLFLOW_TRACKING_USERNAME}/{@code MLFLOW_TRACKING_PASSWORD} (basic auth);
   * {@code databricks}: the workspace at {@code DATABRICKS_HOST} with {@code DATABRICKS_TOKEN}.
   */
  public static ModelRegistry fromEnvironment(FraudLakeConfig config, Map<String, String> env) {
    String uri = env.getOrDefault(TRACKING_URI, "").trim();
    if (uri.isEmpty()) {
      return new LocalModelRegistry(config);
    }
    if (uri.toLowerCase(Locale.ROOT).startsWith("file:")) {
      // MLflow's own convention for a file store elsewhere than the default folder.
      return new LocalModelRegistry(java.nio.file.Path.of(java.net.URI.create(uri)));
    }
    return new MlflowModelRegistry(connectionFor(uri, env));
  }

  /** The server connection {@code env} describes; the local case (no URI) has none. */
  public static MlflowConnection connectionFor(String trackingUri, Map<String, String> env) {
    String uri = trackingUri.trim();
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.equals("databricks") || lower.startsWith("databricks://")) {
      if (lower.startsWith("databricks://")) {
        throw new FraudLakeException(TRACKING_URI + "=databricks://<profile> (a Databricks CLI profile) is not "
            + "supported; use " + TRACKING_URI + "=databricks with " + DATABRICKS_HOST + " and " + DATABRICKS_TOKEN);
      }
      return MlflowConnection.databricks(env.get(DATABRICKS_HOST), env.get(DATABRICKS_TOKEN));
    }
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      String token = env.get(TRACKING_TOKEN);
      String user = env.get(TRACKING_USERNAME);
      String password = env.get(TRACKING_PASSWORD);
      if ((user == null || user.isBlank()) != (password == null || password.isBlank())) {
        throw new FraudLakeException("set both " + TRACKING_USERNAME + " and " + TRACKING_PASSWORD
            + " for basic authentication, or neither");
      }
      return MlflowConnection.server(uri, token, user, password);
    }
    int colon = uri.indexOf(':');
    String scheme = colon > 0 ? uri.substring(0, colon) : uri;
    // Only the scheme is echoed: the rest of the URI may hold credentials.
    throw new FraudLakeException(TRACKING_URI + " has an unsupported scheme '" + scheme
        + "': use http(s)://host:port for an MLflow server, 'databricks' for a Databricks workspace, "
        + "or leave it unset for the local registry under the runtime folder");
  }
}
