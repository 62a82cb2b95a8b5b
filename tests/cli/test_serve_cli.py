"""``textcnn serve``: the options reach the app it serves; a bad model folder is a one-line error."""

from __future__ import annotations

import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient

from textcnn.cli.main import cli


def test_serve_builds_the_app_from_its_options(tiny_model_dir, monkeypatch):
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.update(app=app, **kwargs))
    args = ["serve", str(tiny_model_dir), "--port", "0", "--max-batch", "7", "--max-texts", "2", "--log-level", "error"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"], served["log_level"]) == ("127.0.0.1", 0, "error")
    assert served["app"].state.batcher.max_batch == 7
    with TestClient(served["app"]) as client:
        assert client.post("/predict", json={"texts": ["a", "b", "c"]}).status_code == 413
        assert client.post("/predict", json={"texts": ["good", "dull"]}).status_code == 200
        assert client.get("/metadata").json()["options"]["max_texts"] == 2


def test_serve_a_missing_folder_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["serve", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "Error: model directory not found" in result.output and "Traceback" not in result.output
