package io.fraudlake.jobs;

import io.fraudlake.serve.ServeServer;
import io.fraudlake.serve.ServeSettings;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
        "Scores transactions online over HTTP, at authorization time: POST /transactions takes raw events and "
            + "computes the 8 window features per card in memory with silver's code; POST /predict and /prediction "
            + "take ready feature vectors. Also GET /model_information, /health, /ready, /metrics (Prometheus), "
            + "/openapi.json and /docs.",
        "The model comes from the registry like score's (models:/fraud_isolation_forest@prod by default) and is "
            + "reloaded when the alias moves. SIGTERM or Ctrl-C stops after the requests under way."})
final class ServeCommand extends FraudLakeCommand {
  @Option(names = "--port", paramLabel = "PORT", description = "Port to listen on (default: serve.port, 8000; 0 = any free port).")
  Integer port;

  @Option(names = "--host", paramLabel = "ADDRESS",
      description = "Address to listen on (default: serve.host, 127.0.0.1; 0.0.0.0 for every interface).")
  String host;

  @Mixin ModelChoice modelChoice;

  @Override
  int run(JobContext context) throws Exception {
    modelChoice.check();
    ServeSettings settings = ServeSettings.from(context.config(), host, port);
    // Spark reads the saved model at start and at each reload; requests never touch it.
    context.spark();
    ServeServer server = ServeServer.start(settings,
        modelChoice.source(context.config()));
    CountDownLatch stopped = new CountDownLatch(1);
    Streams.onStopSignal("once the requests in flight are answered", () -> {
      server.close();
      stopped.countDown();
    });
    System.out.printf("serve: listening on %s with %s (docs %s/docs, metrics %s/metrics)%n", server.url(),
        server.model().model().label(), server.url(), server.url());
    stopped.await();
    System.out.println("serve: stopped");
    return 0;
  }
}
