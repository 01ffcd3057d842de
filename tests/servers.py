"""Real servers and a real browser for tests that must cross a real socket."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(data_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None):
    """``python -m app serve`` on a free loopback port; yields its base URL."""
    port = free_port()
    log_path = data_dir / f"server-{port}.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env={**os.environ, "SONGDA_DATA_DIR": str(data_dir), **(env or {})},
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/robots.txt", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not start: " + log_path.read_text()
                time.sleep(0.2)
        # sanic 25.12's main process deadlocks if SIGTERM lands before it has collected every
        # worker's start-up ack (seen with py-spy: WorkerManager.wait_for_ack): wait for all
        # workers, then give the main process a moment to collect their acks.
        while log_path.read_text().count("Worker ready") < workers:
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.2)
        time.sleep(1.5)
        yield base, server, log_path
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # workers too: they share the group
        log.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
