package io.fraudlake.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fraudlake.bronze.CleanEventParser;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.silver.FeatureValues;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the scoring endpoints answer, from a parsed body to a JSON body; the HTTP side (limits,
 * status codes, metrics) is {@link ServeServer}'s. Every refusal is a {@link BadRequestException}
 * naming the problem, raised before anything is admitted, so a refused request changes no state.
 */
final class ScoringEndpoints {
  private final ServingModels models;
  private final CardWindows windows;
  private final ServeMetrics metrics;
  private final int maxEventsPerRequest;

  ScoringEndpoints(ServingModels models, CardWindows windows, ServeMetrics metrics, int maxEventsPerRequest) {
    this.models = models;
    this.windows = windows;
    this.metrics = metrics;
    this.maxEventsPerRequest = maxEventsPerRequest;
  }

  /** {@code POST /transactions}: one raw event (answered with an object) or an array (answered with an array). */
  byte[] transactions(byte[] body, long startNanos) throws IOException {
    long now = System.currentTimeMillis();
    CleanEventParser.Event single = EventReader.readClean(new String(body, StandardCharsets.UTF_8), now);
    if (single != null) {
      return answer(List.of(single), false, startNanos);
    }
    JsonNode root = parse(body);
    boolean many = root.isArray();
    List<JsonNode> nodes = new ArrayList<>();
    if (many) {
      root.forEach(nodes::add);
      if (nodes.isEmpty()) {
        throw new BadRequestException("the array holds no events");
      }
      if (nodes.size() > maxEventsPerRequest) {
        throw new BadRequestException(413, "the array holds " + nodes.size() + " events; at most "
            + maxEventsPerRequest + " per request (serve.max-events-per-request)");
      }
    } else {
      nodes.add(root);
    }
    List<CleanEventParser.Event> events = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      events.add(EventReader.read(nodes.get(i), many ? "event [" + i + "]" : "the event", now));
    }
    return answer(events, many, startNanos);
  }

  private byte[] answer(List<CleanEventParser.Event> events, boolean many, long startNanos) throws IOException {
    ServedModel model = models.current();
    List<CardWindows.Admitted> admitted = windows.admit(events, model);
    for (CardWindows.Admitted a : admitted) {
      if (a.duplicate()) {
        metrics.duplicate();
      } else {
        metrics.scored("transactions", a.answer().score(), a.answer().anomaly());
        if (a.answer().arrivedLate()) {
          metrics.late();
        }
      }
    }
    long serverMicros = (System.nanoTime() - startNanos) / 1000;
    return write(json -> {
      if (many) {
        json.writeStartArray();
      }
      for (CardWindows.Admitted a : admitted) {
        writeAnswer(json, a, serverMicros);
      }
      if (many) {
        json.writeEndArray();
      }
    });
  }

  private static void writeAnswer(JsonGenerator json, CardWindows.Admitted admitted, long serverMicros) throws IOException {
    Answer a = admitted.answer();
    FeatureValues f = a.features();
    json.writeStartObject();
    json.writeStringField("TransactionID", a.transactionId());
    json.writeNumberField("TransactionAmt", f.amount());
    json.writeNumberField("log_transaction_amount", f.logAmount());
    json.writeNumberField("is_high_value_txn", f.highValue());
    json.writeNumberField("is_international_txn", f.international());
    json.writeNumberField("txn_count_5min", f.count());
    json.writeNumberField("avg_amount_5min", f.mean());
    json.writeNumberField("stddev_amount_5min", f.stddev());
    json.writeNumberField("product_diversity_5min", f.productDiversity());
    json.writeNumberField("fraud_score", a.score());
    json.writeBooleanField("is_anomaly", a.anomaly());
    json.writeStringField("model_name", a.modelName());
    json.writeStringField("model_version", a.modelVersion());
    json.writeBooleanField("duplicate", admitted.duplicate());
    json.writeBooleanField("arrived_late", a.arrivedLate());
    json.writeNumberField("server_time_us", serverMicros);
    json.writeEndObject();
  }

  /** {@code POST /predict}: {@code {"features": [[8 numbers], ...]}}, ready vectors in the model's input order. */
  byte[] predict(byte[] body, long startNanos) throws IOException {
    JsonNode root = parse(body);
    JsonNode rows = root.get("features");
    if (!root.isObject() || rows == null) {
      throw new BadRequestException("expected {\"features\": [[...], ...]} with " + expected());
    }
    if (!rows.isArray() || rows.isEmpty()) {
      throw new BadRequestException("features must be a non-empty array of rows, each " + expected());
    }
    if (rows.size() > maxEventsPerRequest) {
      throw new BadRequestException(413, "features holds " + rows.size() + " rows; at most " + maxEventsPerRequest
          + " per request (serve.max-events-per-request)");
    }
    ServedModel model = models.current();
    double[][] vectors = new double[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      vectors[i] = vector(rows.get(i), "features[" + i + "]", model);
    }
    double[] scores = new double[vectors.length];
    double[] scratch = new double[model.scorer().inputs().size()];
    for (int i = 0; i < vectors.length; i++) {
      scores[i] = model.scorer().score(vectors[i], scratch);
      metrics.scored("predict", scores[i], model.scorer().isAnomaly(scores[i]));
    }
    double millis = (System.nanoTime() - startNanos) / 1e6;
    return write(json -> {
      json.writeStartObject();
      json.writeArrayFieldStart("predictions");
      for (double s : scores) {
        json.writeNumber(model.scorer().isAnomaly(s) ? 1 : 0);
      }
      json.writeEndArray();
      json.writeArrayFieldStart("anomaly_scores");
      for (double s : scores) {
        json.writeNumber(s);
      }
      json.writeEndArray();
      json.writeStringField("model_name", model.name());
      json.writeStringField("model_version", model.version());
      json.writeNumberField("inference_time_ms", millis);
      json.writeEndObject();
    });
  }

  /**
   * {@code POST /prediction}: {@code {"feature_vector": [...], "score": true|false}}. Answers
   * scikit-learn's convention ({@code is_inlier} 1 or -1) and, when asked, the anomaly score.
   */
  byte[] prediction(byte[] body) throws IOException {
    JsonNode root = parse(body);
    JsonNode vector = root.get("feature_vector");
    if (!root.isObject() || vector == null) {
      throw new BadRequestException("expected {\"feature_vector\": [...], \"score\": true|false} with " + expected());
    }
    JsonNode wantScore = root.get("score");
    if (wantScore != null && !wantScore.isBoolean() && !wantScore.isNull()) {
      throw new BadRequestException("score must be true or false, got " + EventReader.kind(wantScore));
    }
    ServedModel model = models.current();
    double[] row = vector(vector, "feature_vector", model);
    double score = model.scorer().score(row);
    boolean anomaly = model.scorer().isAnomaly(score);
    metrics.scored("prediction", score, anomaly);
    return write(json -> {
      json.writeStartObject();
      json.writeNumberField("is_inlier", anomaly ? -1 : 1);
      if (wantScore != null && wantScore.asBoolean()) {
        json.writeNumberField("anomaly_score", score);
      }
      json.writeStringField("model_name", model.name());
      json.writeStringField("model_version", model.version());
      json.writeEndObject();
    });
  }

  private static double[] vector(JsonNode row, String where, ServedModel model) {
    List<String> inputs = model.scorer().inputs();
    if (!row.isArray()) {
      throw new BadRequestException(where + " must be an array of " + inputs.size() + " numbers " + inputs + ", got "
          + EventReader.kind(row));
    }
    if (row.size() != inputs.size()) {
      throw new BadRequestException(where + " has " + row.size() + " values; expected " + inputs.size() + ": " + inputs);
    }
    double[] values = new double[row.size()];
    for (int j = 0; j < values.length; j++) {
      JsonNode value = row.get(j);
      if (!value.isNumber()) {
        throw new BadRequestException(where + "[" + j + "] (" + inputs.get(j) + ") must be a number, got "
            + EventReader.kind(value));
      }
      values[j] = value.asDouble();
      if (!Double.isFinite(values[j])) {
        throw new BadRequestException(where + "[" + j + "] (" + inputs.get(j) + ") is " + value.asText()
            + "; features must be finite numbers");
      }
    }
    return values;
  }

  private String expected() {
    return ModelFeatures.NAMES.size() + " numbers per row in the order " + models.current().scorer().inputs();
  }

  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw new BadRequestException("the request body is empty; expected JSON");
    }
    try {
      return Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      String reason = e.getOriginalMessage().lines().findFirst().orElse("").replaceFirst(" \\(start marker at .*", "");
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      int column = e.getLocation() == null ? 0 : e.getLocation().getColumnNr();
      throw new BadRequestException(String.format(Locale.ROOT, "malformed JSON: %s (line %d, column %d)", reason, line, column));
    } catch (IOException e) {
      throw new BadRequestException("malformed JSON: " + e.getMessage());
    }
  }

  interface JsonBody {
    void write(JsonGenerator json) throws IOException;
  }

  static byte[] write(JsonBody body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
      body.write(json);
    }
    return out.toByteArray();
  }
}
