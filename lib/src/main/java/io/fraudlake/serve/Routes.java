package io.fraudlake.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/**
 * The service's paths: the scoring and status endpoints, and the documentation (the OpenAPI
 * document and Swagger UI's page, whose files come from the swagger-ui webjar in the jar, so the
 * docs work offline).
 */
final class Routes {
  record Route(String endpoint, String method) {}

  record Static(String contentType, byte[] bytes) {}

  private static final Map<String, Route> ROUTES = Map.of(
      "/transactions", new Route("transactions", "POST"),
      "/predict", new Route("predict", "POST"),
      "/prediction", new Route("prediction", "POST"),
      "/model_information", new Route("model_information", "GET"),
      "/health", new Route("health", "GET"),
      "/ready", new Route("ready", "GET"),
      "/metrics", new Route("metrics", "GET"),
      "/openapi.json", new Route("docs", "GET"),
      "/docs", new Route("docs", "GET"));

  /** Swagger UI's files the docs page loads, and their content types. */
  private static final Map<String, String> SWAGGER_FILES = Map.of(
      "swagger-ui.css", "text/css",
      "swagger-ui-bundle.js", "text/javascript",
      "swagger-ui-standalone-preset.js", "text/javascript",
      "favicon-32x32.png", "image/png",
      "favicon-16x16.png", "image/png");

  private static final String DOCS_PAGE = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>FraudLake serve - API docs</title>
        <link rel="stylesheet" href="/docs/swagger-ui.css">
        <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/swagger-ui-bundle.js"></script>
        <script>
          window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
        </script>
      </body>
      </html>
      """;

  private Routes() {}

  static Route find(String path) {
    Route route = ROUTES.get(path);
    if (route == null && path.startsWith("/docs/") && SWAGGER_FILES.containsKey(path.substring("/docs/".length()))) {
      return new Route("docs", "GET");
    }
    return route;
  }

  /** The endpoint label metrics use: a known endpoint's name, or "other" (so unknown paths cannot grow the label set). */
  static String endpoint(String path) {
    Route route = find(path);
    return route == null ? "other" : route.endpoint();
  }

  static Static staticPage(String path) {
    if (path.equals("/openapi.json")) {
      return new Static("application/json", resource("/io/fraudlake/serve/openapi.json"));
    }
    if (path.equals("/docs")) {
      return new Static("text/html; charset=utf-8", DOCS_PAGE.getBytes(StandardCharsets.UTF_8));
    }
    String file = path.substring("/docs/".length());
    return new Static(SWAGGER_FILES.get(file), resource("/META-INF/resources/webjars/swagger-ui/" + SwaggerUi.VERSION + "/" + file));
  }

  private static byte[] resource(String name) {
    try (InputStream in = Routes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The webjar's version, which names its folder. */
  private static final class SwaggerUi {
    static final String VERSION = version();

    private static String version() {
      try (InputStream in = Routes.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
        if (in == null) {
          throw new IllegalStateException("the swagger-ui webjar is missing from the class path");
        }
        Properties properties = new Properties();
        properties.load(in);
        return properties.getProperty("version");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
