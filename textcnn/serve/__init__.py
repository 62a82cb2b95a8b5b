"""Serving a trained text classifier over HTTP (``textcnn serve``): a FastAPI app whose predictions are batched across
concurrent clients.

>>> from textcnn.serve import ServeOptions, create_app
>>> app = create_app(textcnn.load("runs/mr"), ServeOptions(max_batch=64))   # run with uvicorn

Needs the ``serve`` extra: ``pip install 'textcnn[serve]'``.
"""

from textcnn.serve.app import ServeOptions, create_app, run_server
from textcnn.serve.batcher import Batcher, BatchStats, QueueFullError

__all__ = ["Batcher", "BatchStats", "QueueFullError", "ServeOptions", "create_app", "run_server"]
