"""A tiny FastAPI service: a greeting, a health check and a toy prediction endpoint."""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="my-cool-api", version="0.0.2")


class PredictRequest(BaseModel):
    x: float


class PredictResponse(BaseModel):
    x: float
    y: float


@app.get("/")
def root() -> dict[str, str]:
    return {
        "message": os.environ.get("GREETING", "Hello"),
        "run_id": os.environ.get("BRAIN_RUN_ID", ""),
    }


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict", response_model=PredictResponse)
def predict(request: PredictRequest) -> PredictResponse:
    # A fixed linear model stands in for a real one loaded at start-up.
    return PredictResponse(x=request.x, y=3.0 * request.x + 2.0)
