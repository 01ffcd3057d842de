"""The watchdog that replaces killed web workers (the real SIGKILL is in tests/faults)."""
from __future__ import annotations

from types import SimpleNamespace

from sanic.worker.process import ProcessState

from app.server import WorkerWatchdog


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
