"""The HTTP JSON API of a text classifier: ``POST /predict``, ``POST /explain``, ``GET /health``, ``GET /metadata``.

Predictions of concurrent requests are batched (see :mod:`textcnn.serve.batcher`). Every bad request gets a 4xx
answer ``{"detail": "..."}`` that says what is wrong, and the server keeps running:

=====  ==============================================================================================
400    ``/explain`` on a model that is not a Kim CNN
413    a body over ``max_body_mb``, or more than ``max_texts`` texts
422    a body that is not JSON, or not of the request's shape (wrong types, an empty list, unknown keys)
503    ``max_queue`` requests already waiting (with ``Retry-After``)
=====  ==============================================================================================
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from textcnn.serve.batcher import Batcher, QueueFullError

if TYPE_CHECKING:
    from textcnn.classify.classifier import TextClassifier


@dataclass(frozen=True)
class ServeOptions:
    """How the server batches and what it accepts.

    Attributes:
        max_batch: Most texts predicted together.
        max_wait_ms: How long the first request of a batch waits for others to join it.
        max_queue: Most requests waiting for a batch; beyond it requests get 503.
        max_body_mb: Largest request body, in MB (10^6 bytes); beyond it requests get 413.
        max_texts: Most texts in one request; beyond it requests get 413.
    """

    max_batch: int = 64
    max_wait_ms: float = 5.0
    max_queue: int = 256
    max_body_mb: float = 1.0
    max_texts: int = 1000

    def __post_init__(self) -> None:
        for name in ("max_batch", "max_queue", "max_texts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {self.max_wait_ms}")
        if self.max_body_mb <= 0:
            raise ValueError(f"max_body_mb must be > 0, got {self.max_body_mb}")

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1_000_000)


class PredictRequest(BaseModel):
    """``{"text": "..."}`` or ``{"texts": ["...", ...]}``, and the number of most probable labels to return."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str | None = None
    texts: list[str] | None = Field(default=None, min_length=1)
    top_k: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_of_text_and_texts(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError('give either "text" (one string) or "texts" (a non-empty list of strings)')
        return self


class ExplainRequest(BaseModel):
    """``{"text": "..."}`` and the number of spans to return for and against the predicted label."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str
    top_k: int = Field(default=5, ge=0)


class BodyLimit:
    """ASGI middleware: reads the whole body, at most ``max_bytes`` (413 beyond, checked on ``Content-Length`` and
    on the bytes received), and hands it on to the app."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, declared)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, None)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: dict, receive: Any, send: Any, declared: bytes | None) -> None:
        if declared is not None and not declared.isdigit():
            response = JSONResponse({"detail": f"Content-Length is not a number: {declared[:40]!r}"}, status_code=400)
        else:
            limit = f"{self.max_bytes / 1_000_000:g} MB"
            response = JSONResponse({"detail": f"request body is larger than {limit} (--max-body-mb)"}, status_code=413)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Any) -> Any:
    """An ASGI ``receive`` that gives ``body`` once, then hands over to ``receive`` (to hear of a disconnect)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def prediction(labels: Sequence, proba: np.ndarray, top_k: int, thresholds: Sequence[float] | None = None) -> dict:
    """One text's answer: its label and probability, the ``top_k`` most probable labels, every probability. A
    multi-label model (``thresholds`` given) answers every label at or above its threshold instead of one label."""
    order = np.argsort(-proba, kind="stable")[: min(top_k, len(labels))]
    if thresholds is not None:
        from textcnn.classify.multilabel import predicted_label_sets

        chosen = predicted_label_sets(proba[None, :], labels, thresholds)[0]
        return {
            "labels": chosen,
            "top_k": [{"label": labels[int(i)], "probability": float(proba[i])} for i in order],
            "probabilities": [float(p) for p in proba],
        }
    return {
        "label": labels[int(order[0])],
        "probability": float(proba[order[0]]),
        "top_k": [{"label": labels[int(i)], "probability": float(proba[i])} for i in order],
        "probabilities": [float(p) for p in proba],
    }


#: What a whole body of the wrong kind gets (FastAPI reads a body as JSON only when its Content-Type says JSON).
_WHOLE_BODY = {
    "missing": 'the request body is empty; send a JSON object such as {"text": "..."}',
    "model_attributes_type": "the request body must be a JSON object sent with Content-Type: application/json",
}


def validation_message(errors: Sequence[dict]) -> str:
    """Pydantic's errors as one line: ``texts.1: Input should be a valid string; ...``."""
    parts = []
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "")
            parts.append(f"the request body is not valid JSON ({detail})" if detail else "the body is not valid JSON")
            continue
        loc = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        if not loc and error.get("type") in _WHOLE_BODY:
            parts.append(_WHOLE_BODY[error["type"]])
            continue
        parts.append(f"{loc}: {error.get('msg')}" if loc else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def metadata(classifier: TextClassifier, options: ServeOptions, meta: dict | None) -> dict:
    """What ``GET /metadata`` answers: the model (from the classifier and its ``textcnn.json``), the serving options
    and the versions of the libraries it was made with and is served with."""
    from textcnn.classify.model_dir import library_versions

    meta = meta or {}
    return {
        "model_name": classifier.model_name,
        "model_kwargs": classifier.model_kwargs,
        "labels": list(classifier.labels),
        "max_len": classifier.max_len,
        "task": meta.get("task", "text"),
        "format_version": meta.get("format_version"),
        "created": meta.get("created"),
        "versions": meta.get("versions", {}),
        "server_versions": library_versions(),
        "options": asdict(options),
    }


def create_app(classifier: TextClassifier, options: ServeOptions | None = None, meta: dict | None = None) -> FastAPI:
    """The FastAPI app serving ``classifier`` (run it with uvicorn; the batcher starts with the app's lifespan).

    Args:
        classifier: The text classifier to serve.
        options: Batching and request limits (default :class:`ServeOptions`).
        meta: The model directory's ``textcnn.json`` (``read_model_dir(path).meta``), shown by ``GET /metadata``.

    Returns:
        The app; ``app.state.batcher.stats`` counts requests, texts and batches.
    """
    options = options or ServeOptions()
    batcher = Batcher(
        classifier.predict_proba, max_batch=options.max_batch, max_wait_ms=options.max_wait_ms,
        max_queue=options.max_queue,
    )  # fmt: skip

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()

    app = FastAPI(title="textcnn", summary=f"{classifier.model_name} text classifier", lifespan=lifespan)
    app.state.batcher = batcher
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes)
    _add_error_handlers(app)
    labels = list(classifier.labels)
    thresholds = getattr(classifier, "thresholds", None)  # a multi-label model's; a hybrid has none
    info = metadata(classifier, options, meta)

    @app.post("/predict")
    async def predict(request: PredictRequest) -> dict:
        """Labels and probabilities of ``text`` (answer ``prediction``) or of each of ``texts`` (``predictions``)."""
        texts = [request.text] if request.texts is None else request.texts
        if len(texts) > options.max_texts:
            raise HTTPException(413, f"{len(texts)} texts in one request; at most {options.max_texts} (--max-texts)")
        proba = await _submit(batcher, texts)
        rows = [prediction(labels, row, request.top_k, thresholds) for row in proba]
        if request.texts is None:
            return {"labels": labels, "prediction": rows[0]}
        return {"labels": labels, "predictions": rows}

    @app.post("/explain")
    async def explain(request: ExplainRequest) -> dict:
        """Why the model gives ``text`` its label: n-gram contributions to each class logit (Kim CNN only)."""
        try:
            explanation = await batcher.run_in_worker(classifier.explain, request.text, request.top_k)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        return jsonable_encoder(explanation.to_dict())

    @app.get("/health")
    async def health() -> dict:
        """``ok``, and the batcher's counts and queue length."""
        return {"status": "ok", "queued": batcher.queued, **asdict(batcher.stats)}

    @app.get("/metadata")
    async def get_metadata() -> dict:
        """The model's name, arguments, labels and ``max_len``, library versions and the serving options."""
        return info

    return app


async def _submit(batcher: Batcher, texts: list[str]) -> np.ndarray:
    """The probabilities of ``texts`` from the batcher; a full queue is 503, a failed prediction 500."""
    try:
        return await batcher.submit(texts)
    except QueueFullError as exc:
        raise HTTPException(503, f"server busy: {exc}", headers={"Retry-After": "1"}) from None
    except Exception as exc:  # noqa: BLE001 - the client gets the reason; the server keeps running
        raise HTTPException(500, f"prediction failed: {type(exc).__name__}: {exc}") from None


def _add_error_handlers(app: FastAPI) -> None:
    """Validation errors as ``{"detail": "one line", "errors": [...]}`` (422)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
        return JSONResponse({"detail": validation_message(exc.errors()), "errors": errors}, status_code=422)


def run_server(
    model_dir: str | Path,
    options: ServeOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    device: str = "cpu",
    log_level: str = "info",
) -> None:
    """Load the text model in ``model_dir`` and serve it with uvicorn until interrupted.

    Raises:
        ValueError: If ``model_dir`` holds an image model, or is not a valid model directory.
        FileNotFoundError: If it is missing or incomplete.
    """
    import uvicorn

    from textcnn.classify.classifier import load
    from textcnn.classify.model_dir import read_model_dir

    files = read_model_dir(model_dir)
    if files.task != "text":
        raise ValueError(f"{model_dir} holds an image model; textcnn serve serves text models")
    classifier = load(model_dir, device=device)  # an int8 directory serves its int8 graph
    app = create_app(classifier, options, meta=files.meta)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
