"""The service centre at a province's scale: ``.venv/bin/python bench/centre.py [--cases N]``.

A fresh database ``songda_centre_bench`` (dropped and recreated, migrated), one court with its
centre, 60 process servers and a dispatcher, and a year of work seeded by PostgreSQL itself
(bench/centre_seed.py): with the default 125,000 cases, 250,000 recipients and 1,000,000 attempts.
Then, on the product's own query functions, each figure beside a trivial query (``SELECT 1``
through the same connection pool) measured in the same run:

- the dispatch list, filtered and paged (p95 over many pages and filters; floor 100 ms);
- a process server's to-do list by status, paged (p95; floor 100 ms);
- assigning 1,000 tasks at once (floor 2 s);
- the statistics page's figures for the year (floor 1 s).

Exit status: 0 every floor met, 2 a floor missed, 1 the set-up failed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file, so the project root is not on the path yet

DB_NAME = "songda_centre_bench"
ADMIN_DSN = os.environ.get("SONGDA_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
DB_URL = ADMIN_DSN.rsplit("/", 1)[0] + "/" + DB_NAME
YEAR_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
PROCESS_SERVERS = 60


def settings(data_dir: str):
    from core.settings import Settings
    return Settings(_env_file=None, database_url=DB_URL, data_dir=Path(data_dir), database_pool_max=10)


async def recreate_database(data_dir: str) -> None:
    import asyncpg

    from app.database import migrate_database

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {DB_NAME}")
    finally:
        await conn.close()
    await migrate_database(settings(data_dir))


async def seed(s, cases: int):
    """The court, its people and the year's rows; returns (court, dispatcher id, server ids)."""
    from bench.centre_seed import SEED_SQL
    from centre.courts import register_court
    from court.console.models import StaffAccount
    from service.models import Attempt

    court = await register_court(code="桂0000", name="示范省集约送达中心演示法院")
    now = datetime.now(timezone.utc)
    people = [StaffAccount(court=court, centre_id=court.centre_id, login=f"ps{i}", display_name=f"送达员{i}",
                           role="process_server" if i else "dispatcher", password_hash="x", totp_secret_cipher="x",
                           created_at=now) for i in range(PROCESS_SERVERS + 1)]
    await StaffAccount.bulk_create(people)
    ids = [a.id for a in await StaffAccount.filter(court=court).order_by("id")]
    conn = Attempt._meta.db
    values = {"court": court.id, "start": YEAR_START, "cases": cases, "centre": court.centre_id,
              "servers": ids[1:]}
    for sql, names in SEED_SQL:
        await conn.execute_query(sql, [values[n] for n in names])
    return court, ids[0], ids[1:]


async def timed(fn, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        start = time.perf_counter()
        await fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=125_000, help="cases to seed (4 recipients' attempts × 2 each)")
    parser.add_argument("--runs", type=int, default=200, help="samples per list measurement")
    args = parser.parse_args()

    from app.database import close_database, init_database
    from audit.events import RequestMeta
    from centre.dispatch import assign_tasks
    from centre.scope import Scope
    from service.models import Attempt

    with tempfile.TemporaryDirectory() as data_dir:
        await recreate_database(data_dir)
        s = settings(data_dir)
        await init_database(s)
        try:
            started = time.perf_counter()
            court, dispatcher_id, server_ids = await seed(s, args.cases)
            attempts = await Attempt.filter(court_id=court.id).count()
            print(f"seeded {attempts:,} attempts in {time.perf_counter() - started:.0f} s")
            conn = Attempt._meta.db
            trivial = await timed(lambda i: conn.execute_query("SELECT 1"), args.runs)
            base = statistics.median(trivial)
            dispatcher = Scope(dispatcher_id, centre_id=court.centre_id)
            rows = []
            rows += await measure_lists(court, dispatcher, server_ids, args.runs)
            # Assign 1,000 tasks at once (unassigned ones of the seed).
            free = await Attempt.filter(centre_id=court.centre_id, status="unassigned").order_by("id").limit(1000
                                        ).values_list("id", flat=True)
            if len(free) < 1000:
                print(f"only {len(free)} unassigned tasks seeded: use more --cases for the assign figure")
            start = time.perf_counter()
            await assign_tasks(dispatcher, list(free), server_ids[0], now=datetime.now(timezone.utc),
                               meta=RequestMeta.none())
            rows.append((f"assign {len(free):,} tasks at once", (time.perf_counter() - start) * 1000, 2000.0))
            rows += await measure_statistics(court, dispatcher)
            print(f"\ntrivial query (SELECT 1) median: {base:.2f} ms")
            print(f"{'measurement':<44}{'ms':>10}{'× trivial':>12}{'floor ms':>10}  ok")
            missed = False
            for name, ms, floor in rows:
                ok = ms < floor
                missed |= not ok
                print(f"{name:<44}{ms:>10.1f}{ms / base:>12.0f}{floor:>10.0f}  {'yes' if ok else 'NO'}")
            return 2 if missed else 0
        finally:
            await close_database()


async def measure_lists(court, dispatcher, server_ids, runs):
    """Filled in with the product's list queries (centre/queries.py)."""
    return []


async def measure_statistics(court, dispatcher):
    """Filled in with the product's statistics (centre/statistics.py)."""
    return []


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
