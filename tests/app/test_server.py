"""The web server's main process keeps its workers: a killed worker is replaced."""
from __future__ import annotations

import os
import re
import signal
import time
from types import SimpleNamespace

import httpx
from sanic.worker.process import ProcessState

from app.server import WorkerWatchdog
from tests.app.test_cli import run_cli
from tests.servers import running_server

WORKER_PIDS = re.compile(r"Starting worker \[(\d+)\]")


def _worker_pids(log_path) -> list[int]:
    return [int(pid) for pid in WORKER_PIDS.findall(log_path.read_text())]


def test_killed_web_workers_are_replaced_and_the_service_answers_again_within_5_s(tmp_path, postgres_url):
    env = {"SONGDA_DATABASE_URL": postgres_url, "SONGDA_SERVE_BACKGROUND": "false"}
    run_cli(tmp_path, "migrate", **env)
    with running_server(tmp_path, workers=2, env=env) as (base, server, log_path):
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


def _process(name: str, pid: int, state=ProcessState.FAILED):
    return SimpleNamespace(name=name, pid=pid, state=state, exitcode=-9)


class _Manager:
    def __init__(self, processes):
        self.transient_processes = processes
        self.sent = []
        self.monitor_publisher = SimpleNamespace(send=self.sent.append)
        self._shutting_down = False


def test_the_watchdog_asks_once_per_death_and_gives_up_on_a_crash_loop():
    worker = _process("Sanic-Server-0-0", 10)
    live = _process("Sanic-Server-1-0", 11, ProcessState.ACKED)
    other = _process("Sanic-Inspector-0", 12)  # not a web worker: not ours to restart
    manager = _Manager([worker, live, other])
    watchdog = WorkerWatchdog(manager, crash_limit=3, crash_window=60)
    watchdog.check()
    watchdog.check()  # the manager has not restarted it yet: not asked twice
    assert manager.sent == ["Sanic-Server-0-0:"]
    for pid in (20, 21):
        worker.pid = pid  # restarted, and dead again
        watchdog.check()
    assert manager.sent[-1] == "Sanic-Server-0-0:" and not watchdog.gave_up
    worker.pid = 22
    watchdog.check()
    assert manager.sent[-1] == "__TERMINATE__" and watchdog.gave_up


def test_the_watchdog_leaves_a_shutdown_alone():
    manager = _Manager([_process("Sanic-Server-0-0", 10, ProcessState.COMPLETED)])
    manager._shutting_down = True
    WorkerWatchdog(manager).check()
    assert manager.sent == []
