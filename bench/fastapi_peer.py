#!/usr/bin/python3
"""The reference peer of the serve_latency benchmark: the model server the FastAPI + scikit-learn
tutorials build, fitted on the same rows as the model FraudLake's `serve` is given.

  uvicorn --app-dir bench fastapi_peer:app --host 127.0.0.1 --port 8001 --workers 1
      with FASTAPI_PEER_CSV=features.csv (a header line, then 8 feature columns per row)

- At start-up each worker fits IsolationForest(n_estimators=200, max_samples=256,
  contamination=0.035, random_state=42) on the CSV (every row, the 8 columns in file order).
- POST /predict {"features": [[8 numbers], ...]} -> {"predictions": [0|1, ...],
  "anomaly_scores": [...], "model_version": "...", "inference_time_ms": t}: a pydantic request
  model, then model.predict and model.score_samples on the request's rows, as the tutorials do.
  predictions are 1 for an anomaly (sklearn's -1), 0 otherwise; anomaly_scores are score_samples
  negated, so higher means more anomalous, as FraudLake's fraud_score.
- GET /ready -> 200 once the model is fitted (uvicorn only accepts connections after start-up).

The handler is a plain `def`, as in the tutorials: FastAPI runs it in its thread pool, so the event
loop keeps accepting while sklearn computes. n_jobs stays at its default (1): the per-request rows are
few, and joblib's worker start-up would dominate.
"""
import os
import sys
import time

import numpy as np
import sklearn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sklearn.ensemble import IsolationForest

N_FEATURES = 8
MODEL_VERSION = os.environ.get("FASTAPI_PEER_MODEL_VERSION", "1")


class PredictRequest(BaseModel):
    features: list[list[float]]


class PredictResponse(BaseModel):
    predictions: list[int]
    anomaly_scores: list[float]
    model_version: str
    inference_time_ms: float


def fit(csv):
    t0 = time.perf_counter()
    x = np.loadtxt(csv, delimiter=",", skiprows=1, usecols=range(N_FEATURES))
    model = IsolationForest(n_estimators=200, max_samples=256, contamination=0.035, random_state=42).fit(x)
    print(f"fastapi_peer: pid {os.getpid()} fitted IsolationForest on {x.shape[0]} rows x {x.shape[1]} "
          f"features from {csv} in {time.perf_counter() - t0:.1f} s (scikit-learn {sklearn.__version__})",
          file=sys.stderr, flush=True)
    return model


app = FastAPI(title="fraud model (reference peer)")
model = None


@app.on_event("startup")
def load_model():
    global model
    model = fit(os.environ["FASTAPI_PEER_CSV"])


@app.get("/ready")
def ready():
    if model is None:
        raise HTTPException(status_code=503, detail="model not loaded")
    return {"status": "ready", "model_version": MODEL_VERSION}


@app.post("/predict", response_model=PredictResponse)
def predict(request: PredictRequest):
    if any(len(row) != N_FEATURES for row in request.features):
        raise HTTPException(status_code=422, detail=f"every row needs {N_FEATURES} features")
    t0 = time.perf_counter()
    x = np.asarray(request.features, dtype=float)
    labels = model.predict(x)
    scores = model.score_samples(x)
    elapsed = (time.perf_counter() - t0) * 1000.0
    return PredictResponse(predictions=[1 if v == -1 else 0 for v in labels],
                           anomaly_scores=[-float(s) for s in scores],
                           model_version=MODEL_VERSION, inference_time_ms=elapsed)
