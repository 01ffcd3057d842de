"""A web worker SIGKILLed: the server's main process replaces it and the service answers again
within 5 s (before the watchdog, 2 → 1 → 0 workers and a port that never answered)."""
from __future__ import annotations

import os
import re
import signal
import time

import httpx

from tests.factories import make_signed_delivery
from tests.faults.invariants import assert_nothing_lost
from tests.servers import running_server

WORKER_PIDS = re.compile(r"Starting worker \[(\d+)\]")


def _worker_pids(log_path) -> list[int]:
    return [int(pid) for pid in WORKER_PIDS.findall(log_path.read_text())]


async def test_killed_web_workers_are_replaced_and_the_service_answers_again_within_5_s(db):
    await make_signed_delivery(db, documents=1)
    env = {"SONGDA_DATABASE_URL": db.database_url, "SONGDA_SERVE_BACKGROUND": "false"}
    with running_server(db.data_dir, workers=2, env=env) as (base, server, log_path):
        first = _worker_pids(log_path)
        assert len(first) == 2
        for pid in first:  # 2 → 0 workers: before the watchdog, nobody answered again
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        while True:
            try:
                if httpx.get(f"{base}/court/api/v1/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() - killed < 5, "no answer 5 s after the workers were killed:\n" + log_path.read_text()
            time.sleep(0.1)
        deadline = time.monotonic() + 10
        while len(set(_worker_pids(log_path)) - set(first)) < 2:  # both replaced, not just one
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        assert "died (exit code -9): starting a new one" in log_path.read_text()
        time.sleep(1.5)  # the new workers' acks reach the manager (tests/servers.py)
        server.terminate()
        assert server.wait(timeout=30) == 0, log_path.read_text()  # still shuts down cleanly
    await assert_nothing_lost(db, signatures=1)
