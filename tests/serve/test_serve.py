"""The HTTP API: answers equal the library's, bad requests get a clear 4xx, and concurrent clients are batched."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import numpy as np
import pytest
import torch
import uvicorn
from fastapi.testclient import TestClient
from torch import nn

from textcnn.classify.classifier import TextClassifier
from textcnn.classify.model_dir import read_model_dir
from textcnn.serve import ServeOptions, create_app

TEXTS = ["the film was great", "awful plot", "", "qwerty zxcvb", "a lovely and fun story , quite good music"]


@pytest.fixture(scope="module")
def clf(tiny_model_dir) -> TextClassifier:
    return TextClassifier.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def client(clf, tiny_model_dir):
    options = ServeOptions(max_texts=10, max_body_mb=0.001, max_wait_ms=1)
    with TestClient(create_app(clf, options, meta=read_model_dir(tiny_model_dir).meta)) as client:
        yield client


def test_predict_one_text_matches_the_library(client, clf):
    answer = client.post("/predict", json={"text": TEXTS[0], "top_k": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    proba = clf.predict_proba([TEXTS[0]])[0]
    assert body["labels"] == clf.labels
    assert body["prediction"]["label"] == clf.predict([TEXTS[0]])[0]
    np.testing.assert_allclose(body["prediction"]["probabilities"], proba, atol=1e-6)
    top = body["prediction"]["top_k"]
    assert [t["label"] for t in top] == [clf.labels[i] for i in np.argsort(-proba)]
    assert top[0]["probability"] == pytest.approx(body["prediction"]["probability"])


def test_a_multi_label_model_answers_its_label_sets(clf):
    # the tiny model's head read as two sigmoids with thresholds: texts can get both labels, one, or none
    multi = TextClassifier(clf.model, clf.tokenizer, clf.labels, thresholds=[0.3, 0.6])
    texts = [*TEXTS, "", "great fun boring"]
    with TestClient(create_app(multi, ServeOptions(max_wait_ms=1))) as client:
        answer = client.post("/predict", json={"texts": texts})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["predictions"]
    assert [row["labels"] for row in rows] == multi.predict(texts)
    assert all("label" not in row for row in rows)  # no single argmax label for a multi-label model
    np.testing.assert_allclose([row["probabilities"] for row in rows], multi.predict_proba(texts), atol=1e-6)


def test_predict_many_texts_in_order(client, clf):
    body = client.post("/predict", json={"texts": TEXTS}).json()
    assert [p["label"] for p in body["predictions"]] == clf.predict(TEXTS)
    assert all(len(p["top_k"]) == 1 for p in body["predictions"])
    np.testing.assert_allclose([p["probabilities"] for p in body["predictions"]], clf.predict_proba(TEXTS), atol=1e-6)


def test_top_k_larger_than_the_labels_gives_every_label(client, clf):
    body = client.post("/predict", json={"text": "good", "top_k": 50}).json()
    assert sorted(t["label"] for t in body["prediction"]["top_k"]) == sorted(clf.labels)


@pytest.mark.parametrize(
    ("request_kwargs", "status", "message"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
        ({"json": {"text": 5}}, 422, "text: Input should be a valid string"),
        ({"json": {"texts": ["ok", 3]}}, 422, "texts.1: Input should be a valid string"),
        ({"json": {"texts": "one string"}}, 422, "texts: Input should be a valid list"),
        ({"json": {"texts": []}}, 422, "texts: List should have at least 1 item"),
        ({"json": {}}, 422, 'give either "text"'),
        ({"json": {"text": "a", "texts": ["b"]}}, 422, 'give either "text"'),
        ({"json": {"text": "a", "top_k": 0}}, 422, "top_k: Input should be greater than or equal to 1"),
        ({"json": {"text": "a", "top_k": "2"}}, 422, "top_k: Input should be a valid integer"),
        ({"json": {"txt": "a"}}, 422, "txt: Extra inputs are not permitted"),
        ({"json": ["a"]}, 422, "must be a JSON object"),
        (
            {"content": b'{"text": "a"}', "headers": {"content-type": "text/plain"}},
            422,
            "Content-Type: application/json",
        ),
        ({"content": b""}, 422, "the request body is empty"),
        ({"content": b'{"text": "\xff"}', "headers": {"content-type": "application/json"}}, 400, "parsing the body"),
        ({"json": {"texts": ["a"] * 11}}, 413, "11 texts in one request; at most 10 (--max-texts)"),
        ({"json": {"text": "x" * 2000}}, 413, "larger than 0.001 MB (--max-body-mb)"),
        ({"content": b"{}", "headers": {"content-length": "abc"}}, 400, "Content-Length is not a number"),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_the_server_goes_on(client, clf, request_kwargs, status, message):
    answer = client.post("/predict", **request_kwargs)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]
    assert client.post("/predict", json={"text": "good"}).json()["prediction"]["label"] == clf.predict(["good"])[0]


def test_a_chunked_body_over_the_limit_is_refused(client):
    answer = client.post("/predict", content=iter([b'{"text": "', b"x" * 600, b"x" * 600, b'"}']))
    assert answer.status_code == 413 and "--max-body-mb" in answer.json()["detail"]


def test_explain_matches_the_library(client, clf):
    answer = client.post("/explain", json={"text": TEXTS[4], "top_k": 2})
    assert answer.status_code == 200, answer.text
    assert answer.json() == clf.explain(TEXTS[4], top_k=2).to_dict()
    assert client.post("/explain", json={"texts": ["a"]}).status_code == 422


class _BagOfWords(nn.Module):
    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, 2)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.embedding(input_ids)  # (B, 2)


def test_explain_of_another_model_is_a_400_and_int_labels_keep_their_type(clf):
    other = TextClassifier(_BagOfWords(clf.tokenizer.vocab_size), clf.tokenizer, [0, 1], model_name="bag")
    with TestClient(create_app(other)) as client:
        answer = client.post("/explain", json={"text": "great fun"})
        assert answer.status_code == 400 and "kim_cnn" in answer.json()["detail"]
        body = client.post("/predict", json={"texts": ["great fun", "dull"]}).json()
        assert body["labels"] == [0, 1] and [p["label"] for p in body["predictions"]] == other.predict(
            ["great fun", "dull"]
        )
        assert client.get("/metadata").json()["labels"] == [0, 1]


def test_health_and_metadata(client, clf, tiny_model_dir):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["batches"] >= 1 and health["queued"] == 0
    meta = client.get("/metadata").json()
    files = read_model_dir(tiny_model_dir)
    assert meta["model_name"] == files.model_name == clf.model_name
    assert meta["model_kwargs"] == files.model_kwargs and meta["labels"] == files.labels
    assert meta["max_len"] == files.max_len
    assert meta["versions"] == files.meta["versions"] and "torch" in meta["server_versions"]
    assert meta["options"]["max_texts"] == 10


def test_a_real_server_batches_concurrent_clients(clf):
    app = create_app(clf, ServeOptions(max_batch=64, max_wait_ms=20))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.01)
        assert server.started, "the server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        texts = [f"{TEXTS[i % len(TEXTS)]} {i}" for i in range(64)]
        answers = asyncio.run(_query(f"http://127.0.0.1:{port}", texts, clients=8))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert answers == dict(zip(texts, clf.predict(texts), strict=True))
    stats = app.state.batcher.stats
    assert stats.requests == 64 and stats.texts == 64 and stats.batches < 64, stats


async def _query(url: str, texts: list[str], clients: int) -> dict[str, str]:
    """Every text's label, sent one request per text by ``clients`` concurrent clients (each in turn)."""

    async def one_client(mine: list[str]) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            found = {}
            for text in mine:
                answer = await http.post("/predict", json={"text": text})
                answer.raise_for_status()
                found[text] = answer.json()["prediction"]["label"]
            return found

    parts = await asyncio.wait_for(asyncio.gather(*(one_client(texts[i::clients]) for i in range(clients))), timeout=30)
    return {text: label for part in parts for text, label in part.items()}
