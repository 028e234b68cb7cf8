package io.fraudlake.serve;

import io.fraudlake.FraudLakeException;
import io.fraudlake.features.ModelFeatures;
import io.fraudlake.detection.AnomalyModel;
import io.fraudlake.scoring.ScoringModel;
import io.fraudlake.silver.FeatureValues;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.VectorAssembler;

/**
 * A loaded model as plain arrays, so one row is scored without Spark: the assembler's column order,
 * the standard scaler's shift and scale, and the detector's own row scorer. The arithmetic is the one Spark
 * ML applies in {@code transform} (the scaler subtracts the mean, then multiplies by 1/σ, with 0 for
 * a constant feature), so a row scores here as it does in gold. Immutable and thread-safe.
 */
public final class OnlineScorer {
  private final List<String> inputs;
  /** For each input, its position in {@link ModelFeatures#NAMES}, the order {@link FeatureValues} come in. */
  private final int[] featurePositions;
  private final double[] shift;
  private final double[] scale;
  private final AnomalyModel detector;
  private final double threshold;

  private OnlineScorer(List<String> inputs, double[] shift, double[] scale, AnomalyModel detector) {
    this.inputs = inputs;
    this.featurePositions = inputs.stream().mapToInt(ModelFeatures.NAMES::indexOf).toArray();
    this.shift = shift;
    this.scale = scale;
    this.detector = detector;
    this.threshold = detector.threshold();
  }

  /**
   * The scorer of a FraudLake model: a PipelineModel of a VectorAssembler, an optional
   * StandardScalerModel and a detector ({@link AnomalyModel}), or a bare detector reading the
   * signature's columns in order.
   */
  public static OnlineScorer of(ScoringModel model) {
    Transformer transformer = model.transformer();
    Transformer[] stages = transformer instanceof PipelineModel pipeline ? pipeline.stages() : new Transformer[] {transformer};
    List<String> inputs = model.featureColumns();
    double[] shift = null;
    double[] scale = null;
    AnomalyModel detector = null;
    for (int i = 0; i < stages.length; i++) {
      Transformer stage = stages[i];
      if (stage instanceof VectorAssembler assembler && i == 0) {
        inputs = List.of(assembler.getInputCols());
      } else if (stage instanceof StandardScalerModel scaler && detector == null && shift == null) {
        shift = scaler.getWithMean() ? scaler.mean().toArray() : new double[scaler.mean().size()];
        scale = scaler.getWithStd()
            ? Arrays.stream(scaler.std().toArray()).map(sd -> sd == 0.0 ? 0.0 : 1.0 / sd).toArray()
            : null;
      } else if (stage instanceof AnomalyModel last && i == stages.length - 1) {
        detector = last;
      } else {
        throw new FraudLakeException("cannot serve " + model.label() + " online: stage " + (i + 1) + " of " + stages.length
            + " is a " + stage.getClass().getSimpleName()
            + " (online scoring takes a VectorAssembler, a StandardScalerModel and an anomaly detector)");
      }
    }
    if (detector == null) {
      throw new FraudLakeException("cannot serve " + model.label() + " online: it does not end in an anomaly detector");
    }
    if (detector.numFeatures() != inputs.size()) {
      throw new FraudLakeException("cannot serve " + model.label() + " online: its detector reads " + detector.numFeatures()
          + " features but its inputs are " + inputs);
    }
    List<String> unknown = inputs.stream().filter(name -> !ModelFeatures.NAMES.contains(name)).toList();
    if (!unknown.isEmpty()) {
      throw new FraudLakeException("cannot serve " + model.label() + " online: inputs " + unknown
          + " are not among the 8 features the service computes " + ModelFeatures.NAMES);
    }
    return new OnlineScorer(List.copyOf(inputs), shift, scale, detector);
  }

  /** The input columns, in the order {@link #score} reads them. */
  public List<String> inputs() {
    return inputs;
  }

  public double threshold() {
    return threshold;
  }

  /**
   * The anomaly score of one row of raw (unscaled) features in {@link #inputs()}' order. {@code
   * scratch} (as long as the row) receives the scaled row, so a caller that keeps one per thread
   * scores without allocating.
   */
  public double score(double[] features, double[] scratch) {
    if (features.length != inputs.size()) {
      throw new IllegalArgumentException("expected " + inputs.size() + " features " + inputs + ", got " + features.length);
    }
    for (int i = 0; i < features.length; i++) {
      double x = shift == null ? features[i] : features[i] - shift[i];
      scratch[i] = scale == null ? x : x * scale[i];
    }
    return detector.scoreRow(scratch);
  }

  public double score(double[] features) {
    return score(features, new double[features.length]);
  }

  /**
   * The anomaly score of a transaction's computed features; {@code scratch} as in {@link #score}, of
   * length 8.
   */
  public double score(FeatureValues features, double[] scratch) {
    for (int i = 0; i < featurePositions.length; i++) {
      double x = features.get(featurePositions[i]);
      x = shift == null ? x : x - shift[i];
      scratch[i] = scale == null ? x : x * scale[i];
    }
    return detector.scoreRow(scratch);
  }

  public boolean isAnomaly(double score) {
    return score >= threshold;
  }
}
