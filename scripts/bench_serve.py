"""Serving benchmark: requests/s and p50/p99 latency of ``textcnn serve`` at 1, 8 and 64 concurrent clients, against
calling the library in the same process.

The server runs as its own process (``textcnn serve``) on 127.0.0.1 and a free port; clients are asyncio tasks in
this process, each with its own keep-alive connection, sending one text per request, in turn, until the level's
requests are sent. The library side calls ``TextClassifier.predict_proba`` on one text at a time (the latency of a
single caller) and on all texts at once (batch throughput). Every loop is bounded by ``--requests`` and every wait by
a timeout.

Run:  python scripts/bench_serve.py runs/mr --requests 512
      python scripts/bench_serve.py runs/mr --clients 1 8 64 --max-batch 64 --max-wait-ms 5 --texts-file mr.txt
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

SAMPLE = [
    "a gripping , funny film with a superb cast",
    "dull and boring from start to finish",
    "the plot was fine but the acting was weak",
    "lovely music , great story",
    "an awful , poorly written script that drags on and on and never finds its footing",
    "good",
]


def free_port() -> int:
    """A port free on 127.0.0.1 now (the server binds it right after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def texts_for(n: int, texts_file: str | None) -> list[str]:
    """``n`` texts: the lines of ``texts_file`` (cycled), else a few built-in sentences, each numbered."""
    pool = Path(texts_file).read_text(encoding="utf-8").splitlines() if texts_file else SAMPLE
    pool = [line for line in pool if line.strip()] or SAMPLE
    return [f"{pool[i % len(pool)]} {i}" for i in range(n)]


def summary(name: str, latencies: list[float], wall: float, extra: str = "") -> str:
    """One row: requests, requests/s, p50 and p99 latency in milliseconds."""
    ms = np.asarray(latencies) * 1000
    return (
        f"| {name} | {len(ms)} | {len(ms) / wall:,.0f} | {np.percentile(ms, 50):.2f} | {np.percentile(ms, 99):.2f} |"
        f" {extra} |"
    )


def bench_library(model_dir: str, texts: list[str]) -> list[str]:
    """Rows for the in-process library: one text per call, then every text in one call."""
    from textcnn.classify.classifier import TextClassifier

    clf = TextClassifier.from_pretrained(model_dir)
    clf.predict_proba(texts[:8])  # warm-up
    latencies = []
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        clf.predict_proba([text])
        latencies.append(time.perf_counter() - t0)
    rows = [summary("library, 1 text per call", latencies, time.perf_counter() - start)]
    t0 = time.perf_counter()
    clf.predict_proba(texts, batch_size=64)
    wall = time.perf_counter() - t0
    rows.append(f"| library, all texts in one call (batch 64) | {len(texts)} | {len(texts) / wall:,.0f} | - | - | |")
    return rows


class Connection:
    """A minimal HTTP/1.1 keep-alive client on one loopback connection: cheap enough per request that the server,
    not the client, is what is measured (``httpx`` costs milliseconds of CPU per request at 64 connections)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, host)

    async def post_json(self, path: str, payload: dict) -> tuple[int, dict]:
        """The status and JSON answer of one POST."""
        body = json.dumps(payload).encode()
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
        self.writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        answer = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return int(lines[0].split()[1]), json.loads(answer)

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def run_clients(port: int, texts: list[str], clients: int) -> tuple[list[float], float]:
    """Send every text as one request from ``clients`` concurrent clients (one connection each); per-request
    latencies and the wall time."""
    latencies: list[float] = []

    async def client(connection: Connection, mine: list[str]) -> None:
        for text in mine:
            t0 = time.perf_counter()
            status, answer = await connection.post_json("/predict", {"text": text})
            if status != 200:
                raise RuntimeError(f"status {status}: {answer}")
            latencies.append(time.perf_counter() - t0)

    connections = [await Connection.open("127.0.0.1", port) for _ in range(clients)]
    try:
        await client(connections[0], texts[:4])  # warm-up
        latencies.clear()
        start = time.perf_counter()
        jobs = (client(connection, texts[i::clients]) for i, connection in enumerate(connections))
        await asyncio.wait_for(asyncio.gather(*jobs), timeout=600)
        return latencies, time.perf_counter() - start
    finally:
        for connection in connections:
            await connection.close()


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    """Poll ``GET /health`` until it answers (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the server did not answer within {timeout:.0f} s")


def bench_server(args: argparse.Namespace, texts: list[str]) -> list[str]:
    """Rows for the server at each number of concurrent clients (mean batch size from ``GET /health``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "textcnn.cli.main", "serve", args.model_dir, "--host", "127.0.0.1", "--port", str(port),
        "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms), "--max-queue", "1024",
        "--log-level", "warning",
    ]  # fmt: skip
    print(f"server: {shlex.join(command)}")
    server = subprocess.Popen(command)
    rows = []
    try:
        wait_ready(url, server)
        for clients in args.clients:
            before = httpx.get(f"{url}/health", timeout=5).json()
            latencies, wall = asyncio.run(run_clients(port, texts, clients))
            after = httpx.get(f"{url}/health", timeout=5).json()
            batches = after["batches"] - before["batches"]
            mean = (after["texts"] - before["texts"]) / max(batches, 1)
            rows.append(summary(f"server, {clients} client(s)", latencies, wall, f"{mean:.1f} texts per batch"))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", help="A text model directory (textcnn train's output).")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 64], help="Concurrent clients per level.")
    parser.add_argument("--requests", type=int, default=512, help="Requests per level (one text each).")
    parser.add_argument("--max-batch", type=int, default=64, help="The server's --max-batch.")
    parser.add_argument("--max-wait-ms", type=float, default=5.0, help="The server's --max-wait-ms.")
    parser.add_argument("--texts-file", default=None, help="Texts to send, one per line (default: built-in sample).")
    args = parser.parse_args()
    if args.requests < 1 or min(args.clients) < 1:
        parser.error("--requests and --clients must be >= 1")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    texts = texts_for(args.requests, args.texts_file)
    rows = bench_library(args.model_dir, texts) + bench_server(args, texts)
    print("| side | requests | requests/s | p50 ms | p99 ms | note |")
    print("|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
