package io.fraudlake.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The floor of the serve_latency benchmark: the JDK's HTTP server (the one {@code ./fraudlake serve}
 * is built on) answering every POST with a fixed {@code /predict}-shaped reply and no model. The load
 * generator swept against it shows what the generator and this HTTP layer sustain together on the same
 * cores, so a FraudLake figure near it is limited by them rather than by scoring.
 *
 * <p>{@code sun.net.httpserver.nodelay} is true unless set: the server writes a reply's headers and body
 * in two writes, and with Nagle's algorithm on, the body waits for the client's delayed ACK (40 ms on
 * Linux), which caps a keep-alive connection at about 25 replies per second.
 *
 * <p>Options: --host 127.0.0.1 --port N --threads 0 (handlers on the server's dispatcher thread; N: a
 * fixed pool of N). Prints {@code constant: listening on http://HOST:PORT} when ready; stops on SIGTERM.
 */
public final class ConstantServer {
  private static final byte[] REPLY = ("{\"predictions\":[0],\"anomaly_scores\":[0.42],\"model_version\":\"constant\","
      + "\"inference_time_ms\":0.0}").getBytes(StandardCharsets.US_ASCII);
  private static final byte[] READY = "{\"status\":\"ready\"}".getBytes(StandardCharsets.US_ASCII);

  private ConstantServer() {}

  public static void main(String[] argv) throws IOException {
    Args args = Args.parse(argv);
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    String host = args.string("host", "127.0.0.1");
    HttpServer server = HttpServer.create(new InetSocketAddress(host, args.intValue("port", 8000)), 1024);
    int threads = args.intValue("threads", 0);
    if (threads > 0) {
      server.setExecutor(Executors.newFixedThreadPool(threads));
    }
    server.createContext("/", ConstantServer::handle);
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.println("constant: listening on http://" + host + ":" + server.getAddress().getPort()
        + " (sun.net.httpserver.nodelay=" + System.getProperty("sun.net.httpserver.nodelay") + ")");
  }

  private static void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      // The request must be read to its end, or the connection cannot carry the next one.
      try (InputStream in = exchange.getRequestBody()) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      byte[] body = "GET".equals(exchange.getRequestMethod()) ? READY : REPLY;
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
