package io.fraudlake.training;

import io.fraudlake.features.ModelFeatures;
import io.fraudlake.FraudLakeException;
import io.fraudlake.detection.AnomalyModel;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The model as one Spark ML pipeline: assemble the 8 features, standardise them, isolate. Saving
 * the whole PipelineModel (not just the forest) keeps the scaler's training statistics with the
 * forest, so scoring cannot apply different scaling than training did.
 */
public final class ModelTrainer {
  private ModelTrainer() {}

  public static Pipeline pipeline(TrainingSettings settings) {
    VectorAssembler assembler = new VectorAssembler()
        .setInputCols(ModelFeatures.names())
        .setOutputCol(ModelFeatures.VECTOR)
        .setHandleInvalid("error");
    StandardScaler scaler = new StandardScaler()
        .setInputCol(ModelFeatures.VECTOR)
        .setOutputCol(ModelFeatures.SCALED_VECTOR)
        .setWithMean(true)
        .setWithStd(true);
    return new Pipeline().setStages(new PipelineStage[] {assembler, scaler, Detectors.estimator(settings)});
  }

  /** Fits on the training rows only; their labels, if any, are never read. */
  public static PipelineModel fit(TrainingSettings settings, Dataset<Row> train) {
    return pipeline(settings).fit(train.select(ModelFeatures.columns()));
  }

  /** The detector at the end of a fitted pipeline (or the detector itself). */
  public static AnomalyModel detector(Transformer model) {
    if (model instanceof AnomalyModel detector) {
      return detector;
    }
    Transformer[] stages = model instanceof PipelineModel pipeline ? pipeline.stages() : new Transformer[0];
    if (stages.length == 0 || !(stages[stages.length - 1] instanceof AnomalyModel detector)) {
      throw new FraudLakeException("the model is not a FraudLake pipeline ending in an anomaly detector");
    }
    return detector;
  }
}
