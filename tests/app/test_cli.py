"""``python -m app`` as a newcomer runs it: real processes, a fresh data directory."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def run_cli(data_dir: Path, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SONGDA_DATA_DIR": str(data_dir), **env}
    result = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_migrate_create_court_and_api_client(tmp_path):
    run_cli(tmp_path, "migrate")
    run_cli(tmp_path, "migrate")  # idempotent
    missing = run_cli(tmp_path, "create-api-client", "--name", "x", "--system", "trial", check=False)
    assert missing.returncode == 1 and "create-court" in missing.stderr
    run_cli(tmp_path, "create-court", "--code", "桂1202", "--name", "示范法院")
    duplicate = run_cli(tmp_path, "create-court", "--code", "桂1202", "--name", "示范法院", check=False)
    assert duplicate.returncode == 1 and "已存在" in duplicate.stderr
    out = run_cli(tmp_path, "create-api-client", "--name", "审判系统", "--system", "dossier").stdout
    key = out.strip().splitlines()[-1]
    assert key.startswith("sdk_") and len(key) > 40
    with sqlite3.connect(tmp_path / "songda.sqlite3") as conn:
        stored = conn.execute("select key_hash, scopes from api_client").fetchall()
    assert stored == [(hashlib.sha256(key.encode()).hexdigest(), '["services:read","receipts:read"]')]
    assert key not in (tmp_path / "songda.sqlite3").read_bytes().decode("latin-1")


def test_production_mode_refuses_dev_settings(tmp_path):
    result = run_cli(tmp_path, "migrate", check=False, SONGDA_MODE="production")
    assert result.returncode == 2
    for setting in ("SONGDA_SMS_GATEWAY", "SONGDA_SECRET_KEY", "SONGDA_DATABASE_URL"):
        assert setting in result.stderr


def test_demo_seeds_a_case_and_prints_what_a_newcomer_needs(tmp_path):
    out = run_cli(tmp_path, "demo", "--no-serve").stdout
    assert "(2024)桂1202民初123号" in out and "/court/api/v1/openapi.json" in out
    assert "sdk_" in out and "dev-sms.jsonl" in out
    again = run_cli(tmp_path, "demo", "--no-serve").stdout  # a second run works too
    assert "送达 id: 2" in again


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_two_workers_answers_real_http(tmp_path):
    run_cli(tmp_path, "demo", "--no-serve")
    port = _free_port()
    env = {**os.environ, "SONGDA_DATA_DIR": str(tmp_path)}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/court/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
        # sanic 25.12's main process deadlocks if SIGTERM lands before it has collected every
        # worker's start-up ack (seen with py-spy: WorkerManager.wait_for_ack): wait for both
        # workers, then give the main process a moment to collect their acks.
        while (tmp_path / "server.log").read_text().count("Worker ready") < 2:
            assert time.monotonic() < deadline, "second worker did not start"
            time.sleep(0.2)
        time.sleep(1.5)
        assert httpx.get(f"http://127.0.0.1:{port}/court/api/v1/services").status_code == 401
    finally:
        server.terminate()
        try:
            assert server.wait(timeout=30) == 0, (tmp_path / "server.log").read_text()
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)  # workers too: they share the group
