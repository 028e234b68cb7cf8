package io.fraudlake.autoencoder;

import io.fraudlake.iforest.IsolationForestParams;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/**
 * The column params an {@link Autoencoder} hands to the {@link AutoencoderModel} it fits. They are the
 * isolation forest's (same names, defaults and docs), so either detector is a drop-in last stage of
 * the same pipeline.
 */
public interface AutoencoderParams extends Params {
  Param<String> featuresCol();

  Param<String> scoreCol();

  Param<String> predictionCol();

  default String getFeaturesCol() {
    return (String) getOrDefault(featuresCol());
  }

  default String getScoreCol() {
    return (String) getOrDefault(scoreCol());
  }

  default String getPredictionCol() {
    return (String) getOrDefault(predictionCol());
  }

  /** Declares the three column params on {@code owner} with the forest's defaults; returns them in that order. */
  @SuppressWarnings("unchecked")
  static Param<String>[] columnParams(Params owner) {
    return new Param[] {
        IsolationForestParams.featuresColParam(owner),
        IsolationForestParams.scoreColParam(owner),
        IsolationForestParams.predictionColParam(owner)};
  }
}
