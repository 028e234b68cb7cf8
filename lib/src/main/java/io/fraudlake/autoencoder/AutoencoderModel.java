package io.fraudlake.autoencoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.detection.DetectorChecks;
import io.fraudlake.iforest.IsolationForestParams;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.json4s.JObject;
import org.json4s.jackson.JsonMethods$;
import scala.Option;

/**
 * A fitted autoencoder. {@link #transform} adds {@code fraud_score} = e / (e + m), e the row's mean
 * squared reconstruction error and m the median training error (see {@link ReconstructionScorer}),
 * and {@code is_anomaly} = score &gt;= threshold.
 *
 * <p>Saved as Spark ML's JSON metadata only: the layer sizes, the flat parameters (per layer the
 * weights row by row, then the biases), m and the training loss of each epoch travel in it, a few
 * hundred numbers written with Jackson's exact double formatting, so a loaded model scores
 * bit for bit as the saved one.
 */
public final class AutoencoderModel extends Model<AutoencoderModel>
    implements AutoencoderParams, MLWritable, AnomalyModel {
  private static final long serialVersionUID = 1L;
  private static final String FORMAT = "fraudlake-autoencoder-1";

  private final String uid;
  private final ReconstructionScorer scorer;
  private final double[] epochLoss;
  private final Param<String> featuresCol;
  private final Param<String> scoreCol;
  private final Param<String> predictionCol;
  private final DoubleParam threshold;

  AutoencoderModel(String uid, ReconstructionScorer scorer, double[] epochLoss) {
    this.uid = uid;
    this.scorer = scorer;
    this.epochLoss = epochLoss.clone();
    Param<String>[] columns = AutoencoderParams.columnParams(this);
    featuresCol = columns[0];
    scoreCol = columns[1];
    predictionCol = columns[2];
    threshold = new DoubleParam(this, "threshold", "score at or above which a row is an anomaly");
    setDefault(featuresCol, IsolationForestParams.DEFAULT_FEATURES_COL);
    setDefault(scoreCol, IsolationForestParams.DEFAULT_SCORE_COL);
    setDefault(predictionCol, IsolationForestParams.DEFAULT_PREDICTION_COL);
    // A row reconstructed as badly as the median training row scores 0.5; fit always sets its own.
    setDefault(threshold, 0.5);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Param<String> featuresCol() {
    return featuresCol;
  }

  @Override
  public Param<String> scoreCol() {
    return scoreCol;
  }

  @Override
  public Param<String> predictionCol() {
    return predictionCol;
  }

  public DoubleParam thresholdParam() {
    return threshold;
  }

  @Override
  public double threshold() {
    return (Double) $(threshold);
  }

  @Override
  public int numFeatures() {
    return scorer.numFeatures();
  }

  @Override
  public double scoreRow(double[] row) {
    return scorer.score(row);
  }

  /** The mean squared reconstruction error of one row, before the score map. */
  public double reconstructionError(double[] row) {
    return scorer.reconstructionError(row);
  }

  /** m in s = e / (e + m): the median reconstruction error over the training rows. */
  public double medianTrainingError() {
    return scorer.medianError();
  }

  /** Widths of every layer, input and output included (8-6-3-6-8 by default). */
  public int[] layerSizes() {
    return scorer.network().sizes();
  }

  /** The network's weights and biases, flat (per layer the weights row by row, then the biases). */
  public double[] parameters() {
    return scorer.network().parameters();
  }

  /** The mean squared reconstruction error over each training epoch's batches, in epoch order. */
  public double[] trainingLoss() {
    return epochLoss.clone();
  }

  public AutoencoderModel setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public AutoencoderModel setScoreCol(String value) {
    set(scoreCol, value);
    return this;
  }

  public AutoencoderModel setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  public AutoencoderModel setThreshold(double value) {
    set(threshold, DetectorChecks.threshold("Autoencoder", value));
    return this;
  }

  /**
   * Adds the score and prediction columns through one UDF over the vector column, so a batch and a
   * streaming dataset are scored alike, and with {@link #scoreRow}'s arithmetic.
   */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    UserDefinedFunction score = functions.udf(new ReconstructionScoreFunction(scorer, getFeaturesCol()),
        DataTypes.DoubleType);
    String scoreColumn = getScoreCol();
    Dataset<Row> scored = dataset.withColumn(scoreColumn, score.apply(functions.col(quoted(getFeaturesCol()))));
    return scored.withColumn(getPredictionCol(), functions.col(quoted(scoreColumn)).geq(threshold()));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    StructType out = outputSchema(schema, getFeaturesCol(), getScoreCol(), getPredictionCol());
    int declared = AttributeGroup.fromStructField(schema.apply(getFeaturesCol())).size();
    if (declared >= 0 && declared != numFeatures()) {
      throw new FraudLakeException("AutoencoderModel: column '" + getFeaturesCol() + "' holds " + declared
          + " features but the model was trained on " + numFeatures());
    }
    return out;
  }

  static StructType outputSchema(StructType schema, String features, String score, String prediction) {
    List<String> columns = Arrays.asList(schema.fieldNames());
    if (!columns.contains(features)) {
      throw new FraudLakeException("Autoencoder: features column '" + features + "' not found; columns are "
          + String.join(", ", schema.fieldNames()));
    }
    StructField field = schema.apply(features);
    if (!(field.dataType() instanceof VectorUDT)) {
      throw new FraudLakeException("Autoencoder: features column '" + features
          + "' must be an ML Vector (org.apache.spark.ml.linalg.Vector) but is " + field.dataType().simpleString()
          + "; combine numeric columns with VectorAssembler");
    }
    for (String output : List.of(score, prediction)) {
      if (columns.contains(output)) {
        throw new FraudLakeException("Autoencoder: output column '" + output + "' already exists");
      }
    }
    if (score.equals(prediction)) {
      throw new FraudLakeException("Autoencoder: score and prediction columns are both '" + score + "'");
    }
    return schema
        .add(score, DataTypes.DoubleType, true)
        .add(prediction, DataTypes.BooleanType, true);
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  @Override
  public AutoencoderModel copy(ParamMap extra) {
    AutoencoderModel copied = new AutoencoderModel(uid, scorer, epochLoss);
    copyValues(copied, extra);
    if (hasParent()) {
      copied.setParent(parent());
    }
    return copied;
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** Found by reflection when a saved PipelineModel is loaded. */
  public static MLReader<AutoencoderModel> read() {
    return new Reader();
  }

  public static AutoencoderModel load(String path) {
    return read().load(path);
  }

  private static final class Writer extends MLWriter {
    private final AutoencoderModel model;

    Writer(AutoencoderModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      ObjectNode extra = new ObjectMapper().createObjectNode()
          .put("format", FORMAT)
          .put("medianTrainingError", model.medianTrainingError());
      ArrayNode sizes = extra.putArray("layerSizes");
      Arrays.stream(model.layerSizes()).forEach(sizes::add);
      ArrayNode parameters = extra.putArray("parameters");
      Arrays.stream(model.parameters()).forEach(parameters::add);
      ArrayNode loss = extra.putArray("trainingLoss");
      Arrays.stream(model.epochLoss).forEach(loss::add);
      DefaultParamsWriter$.MODULE$.saveMetadata(model, path, sparkSession(),
          Option.apply((JObject) JsonMethods$.MODULE$.fromJsonNode(extra)));
    }
  }

  private static final class Reader extends MLReader<AutoencoderModel> {
    @Override
    public AutoencoderModel load(String path) {
      DefaultParamsReader.Metadata metadata = DefaultParamsReader$.MODULE$.loadMetadata(
          path, sparkSession(), AutoencoderModel.class.getName());
      JsonNode json;
      try {
        json = new ObjectMapper().readTree(metadata.metadataJson());
      } catch (IOException e) {
        throw new FraudLakeException("AutoencoderModel: unreadable metadata under " + path, e);
      }
      if (!FORMAT.equals(json.path("format").asText())) {
        throw new FraudLakeException("AutoencoderModel: " + path + " is not a saved FraudLake autoencoder "
            + "(format '" + json.path("format").asText() + "')");
      }
      Network network;
      ReconstructionScorer scorer;
      try {
        network = new Network(ints(json.get("layerSizes")), doubles(json.get("parameters")));
        scorer = new ReconstructionScorer(network, json.get("medianTrainingError").asDouble());
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new FraudLakeException("AutoencoderModel: corrupt network in " + path + ": " + e.getMessage(), e);
      }
      AutoencoderModel model = new AutoencoderModel(metadata.uid(), scorer, doubles(json.path("trainingLoss")));
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }

    private static int[] ints(JsonNode array) {
      int[] out = new int[array.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = array.get(i).asInt();
      }
      return out;
    }

    private static double[] doubles(JsonNode array) {
      double[] out = new double[array.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = array.get(i).asDouble();
      }
      return out;
    }
  }
}
