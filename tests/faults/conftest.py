"""Fixtures of the fault suite: private servers a test may kill (never the machine's shared
PostgreSQL or Redis) and the webhook receiver."""
from __future__ import annotations

import contextlib
import subprocess
import time

import pytest
import redis

from tests.court.conftest import receiver  # noqa: F401  (the slow receiver's fixture)
from tests.servers import free_port


class PrivateRedis:
    """A redis-server of our own on a free loopback port, without persistence."""

    def __init__(self, directory) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline, "private redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
