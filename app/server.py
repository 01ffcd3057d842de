"""Running sanic with our factory, one or many worker processes.

sanic 25.12's worker manager notices a dead worker (it marks it FAILED) but never starts another:
``--workers 2`` went 2 → 1 → 0 after two SIGKILLs (the OOM killer, an operator's ``kill -9``) while
the main process kept the port open and nobody answered. ``WorkerWatchdog`` runs in the main
process and asks the manager to restart a server worker that has died, through the manager's own
monitor pipe (the message ``app.m.restart(name)`` sends from a worker), so the restart runs on the
manager's thread like any other. A worker that keeps dying (``CRASH_LIMIT`` restarts within
``CRASH_WINDOW`` seconds: a broken deploy, a database that refuses every start-up) is not
restarted for ever: the server shuts down and exits 1, for its supervisor (systemd, deploy/) to
act on.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque

from sanic import Sanic
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager
from sanic.worker.process import ProcessState, Worker, WorkerProcess

from app.factory import create_app

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
CRASH_LIMIT = 10      # restarts …
CRASH_WINDOW = 60.0   # … within this many seconds: give up and exit non-zero
_DEAD = (ProcessState.FAILED, ProcessState.COMPLETED)


class WorkerWatchdog:
    """Restarts dead server workers of a running ``WorkerManager`` (main process only)."""

    def __init__(self, manager: WorkerManager, *, poll: float = POLL_SECONDS,
                 crash_limit: int = CRASH_LIMIT, crash_window: float = CRASH_WINDOW) -> None:
        self.manager = manager
        self.poll = poll
        self.crash_limit = crash_limit
        self.crash_window = crash_window
        self.gave_up = False
        self._restarts: deque[float] = deque()
        self._asked: dict[str, int | None] = {}  # process name -> the dead pid a restart was asked for
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="songda-worker-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _shutting_down(self) -> bool:
        return bool(getattr(self.manager, "_shutting_down", False))

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            if self._shutting_down():
                return
            try:
                self.check()
            except Exception:  # the watchdog must outlive a surprise in sanic's state
                log.exception("worker watchdog check failed")

    def dead_servers(self) -> list[WorkerProcess]:
        # The manager's monitor loop marks a process FAILED (or COMPLETED) once it has exited.
        return [process for process in list(self.manager.transient_processes)
                if process.name.startswith(f"{Worker.WORKER_PREFIX}-{WorkerProcess.SERVER_LABEL}-")
                and process.state in _DEAD]

    def check(self) -> None:
        for process in self.dead_servers():
            pid = process.pid
            if self._asked.get(process.name) == pid:
                continue  # asked already; the manager has not got to it yet
            if self._shutting_down():
                return
            now = time.monotonic()
            while self._restarts and now - self._restarts[0] > self.crash_window:
                self._restarts.popleft()
            if len(self._restarts) >= self.crash_limit:
                log.error("web workers died %d times within %.0f s: shutting down (exit 1) for the "
                          "supervisor to restart the server", len(self._restarts), self.crash_window)
                self.gave_up = True
                self.manager.monitor_publisher.send("__TERMINATE__")
                self.stop()
                return
            self._restarts.append(now)
            self._asked[process.name] = pid
            log.error("web worker %s [%s] died (exit code %s): starting a new one",
                      process.name, pid, process.exitcode)
            # What WorkerMultiplexer.restart sends: the manager restarts it on its own thread.
            self.manager.monitor_publisher.send(f"{process.name}:")


LISTEN_BACKLOG = 2048


def serve(*, host: str, port: int, workers: int = 1, access_log: bool = False) -> None:
    # The loader lets every worker process build its own app (own DB pool, own hooks).
    loader = AppLoader(factory=create_app)
    app = loader.load()
    # sanic's default listen queue (100) overflows when hundreds of phones connect at once (an SMS
    # batch going out): the kernel drops their SYNs and they retry a second later
    # (bench/landing_connections.py). The kernel caps it at net.core.somaxconn.
    app.prepare(host=host, port=port, workers=workers, access_log=access_log, motd=False, backlog=LISTEN_BACKLOG)
    watchdogs: list[WorkerWatchdog] = []

    @app.main_process_ready
    async def _watch_workers(app: Sanic) -> None:
        watchdog = WorkerWatchdog(app.manager)
        watchdogs.append(watchdog)
        watchdog.start()

    Sanic.serve(primary=app, app_loader=loader)
    for watchdog in watchdogs:
        watchdog.stop()
        if watchdog.gave_up:
            raise SystemExit(1)
