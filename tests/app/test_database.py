"""Database settings: a PostgreSQL URL may name a Unix socket directory instead of a host."""
from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import connections

from app.database import close_database, init_database, tortoise_config
from tests.conftest import make_settings

SOCKET_DIR = Path("/var/run/postgresql")


def test_a_percent_encoded_host_is_a_socket_directory(tmp_path):
    config = tortoise_config(make_settings(tmp_path, database_url="postgres://songda@%2Fvar%2Frun%2Fpostgresql:5432/db"))
    credentials = config["connections"]["default"]["credentials"]
    assert (credentials["host"], credentials["port"], credentials["database"]) == ("/var/run/postgresql", 5432, "db")
    tcp = tortoise_config(make_settings(tmp_path, database_url="postgres://songda@10.0.0.5:5432/db"))
    assert tcp["connections"]["default"]["credentials"]["host"] == "10.0.0.5"


@pytest.mark.skipif(not SOCKET_DIR.exists(), reason="no local PostgreSQL socket")
async def test_the_app_connects_through_the_socket(tmp_path, postgres_url):
    url = postgres_url.replace("127.0.0.1", "%2Fvar%2Frun%2Fpostgresql")
    await init_database(make_settings(tmp_path, database_url=url))
    try:
        rows = await connections.get("default").execute_query_dict("SELECT inet_server_addr() AS addr")
        assert rows == [{"addr": None}]  # no TCP address: a Unix socket
    finally:
        await close_database()
