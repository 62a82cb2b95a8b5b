"""``textcnn serve``: an HTTP JSON API of a text model, its predictions batched across concurrent clients."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors


@click.command(context_settings={"show_default": True})
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, help="Port to listen on.")
@click.option("--max-batch", type=click.IntRange(min=1), default=64, help="Most texts predicted together.")
@click.option(
    "--max-wait-ms",
    type=click.FloatRange(min=0),
    default=5.0,
    help="How long a request waits for others to fill its batch.",
)
@click.option("--max-queue", type=click.IntRange(min=1), default=256, help="Requests waiting; beyond, 503.")
@click.option("--max-body-mb", type=click.FloatRange(min=0, min_open=True), default=1.0, help="Largest body; 413.")
@click.option("--max-texts", type=click.IntRange(min=1), default=1000, help="Most texts in one request; beyond, 413.")
@click.option("--device", default="cpu", help="cpu, cuda or auto.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info")
@friendly_errors
def serve(model_dir, host, port, max_batch, max_wait_ms, max_queue, max_body_mb, max_texts, device, log_level) -> None:
    """Serve the text model in MODEL_DIR over HTTP until interrupted (Ctrl-C).

    POST /predict {"text": "..."} or {"texts": [...], "top_k": 3}; POST /explain {"text": "..."} (kim_cnn);
    GET /health; GET /metadata; API docs at /docs. Needs the serve extra: pip install 'textcnn[serve]'.
    """
    try:
        from textcnn.serve import ServeOptions, run_server
    except ImportError as exc:
        raise click.ClickException(f"textcnn serve needs {exc.name}: pip install 'textcnn[serve]'") from None

    options = ServeOptions(
        max_batch=max_batch, max_wait_ms=max_wait_ms, max_queue=max_queue, max_body_mb=max_body_mb, max_texts=max_texts
    )
    run_server(model_dir, options, host=host, port=port, device=device, log_level=log_level)
