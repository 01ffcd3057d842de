"""总体统计 for a year on a seeded centre of 1,000,000 attempts (a province's year), on PostgreSQL.

    .venv/bin/python bench/centre_statistics.py [--attempts 1000000] [--runs 5] [--keep] [--reuse]

Creates the database ``songda_statistics_bench`` on the server named by SONGDA_TEST_PG_ADMIN
(default postgres://postgres@127.0.0.1:5432/test), migrates it, seeds one centre serving ten
courts with set-based INSERTs (cases, services with two documents each, recipients, 50 process
servers, the attempts spread over 2025 on every channel, most of them closed), ANALYZEs, rolls
the statistics up (``centre.statistics_rollup``, timed), then times the year for the dispatcher's
scope (the whole centre) and a clerk's (one court), each both ways in the same run: the direct
computation from the attempts (``centre.statistics_direct``, the code path before the roll-up)
and the page's (``centre.statistics.centre_statistics``: roll-up rows plus the live part), beside
a trivial query; then once more with a week of days changed after their roll-up (computed live
until the next pass), and with the last two days not rolled up (as today and yesterday are). Drops the database afterwards unless ``--keep``; ``--reuse`` times a kept database again (no seeding; the roll-up
first catches up with what the last run changed).

Exit status: 0 good, 2 the centre's year from the roll-up took 1 s or more (p50 of the runs).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file, so the project root is not on the path yet

CEILING = 1.0
DB_NAME = "songda_statistics_bench"
ADMIN_DSN = os.environ.get("SONGDA_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
DB_URL = ADMIN_DSN.rsplit("/", 1)[0] + "/" + DB_NAME

CHANNELS = "ARRAY['sms','sms','sms','portal','wechat','phone','phone','mail','mail','pickup','field','announcement','entrusted']"
METHODS = ("CASE c WHEN 'sms' THEN 'electronic' WHEN 'portal' THEN 'electronic' WHEN 'wechat' THEN 'electronic' "
           "WHEN 'phone' THEN 'phone' WHEN 'mail' THEN 'mail' WHEN 'pickup' THEN 'direct' WHEN 'field' THEN "
           "(CASE WHEN j % 3 = 0 THEN 'lodged' ELSE 'direct' END) WHEN 'announcement' THEN 'announcement' "
           "ELSE 'entrusted' END")


def seed_sql(attempts: int) -> list[str]:
    cases, services, recipients = attempts // 10, attempts * 3 // 20, attempts * 3 // 10
    return [
        "INSERT INTO service_centre (id, name, created_at) VALUES (1, '示范送达中心', now())",
        "INSERT INTO court (id, code, name, phone, centre_id, created_at) SELECT i, 'B' || i, '示范法院' || i, '', 1, "
        "now() FROM generate_series(1, 10) i",
        "INSERT INTO document (id, court_id, kind, title, original_filename, sha256, size, page_count, created_at) "
        "SELECT i, 1, 'summons', '传票', '', repeat('0', 64), 1000, 1, now() FROM generate_series(1, 2) i",
        f"INSERT INTO court_case (id, court_id, case_number, cause, judge, clerk, created_at) SELECT i, 1 + i % 10, "
        f"'(2025)民初' || i || '号', '', '', '', now() FROM generate_series(1, {cases}) i",
        f"INSERT INTO service (id, court_id, case_id, source_system, status, expires_at, revoke_reason, created_at) "
        f"SELECT i, 1 + (1 + i % {cases}) % 10, 1 + i % {cases}, 'trial', 'in_progress', now(), '', now() "
        f"FROM generate_series(1, {services}) i",
        f"INSERT INTO service_document (service_id, document_id, position) SELECT i, d, d "
        f"FROM generate_series(1, {services}) i, generate_series(1, 2) d",
        f"INSERT INTO recipient (id, service_id, position, name, role, phone_cipher, phone_index, phone_masked, "
        f"address_cipher, address_masked, consent_basis, channels) SELECT i, 1 + i % {services}, 1, '受送达人' || i, "
        f"'defendant', 'x', md5((i % {recipients // 2})::text), '138****0000', '', '', 'confirmed', '[]' "
        f"FROM generate_series(1, {recipients}) i",
        "INSERT INTO staff_account (id, court_id, centre_id, login, display_name, role, password_hash, "
        "totp_secret_cipher, totp_last_step, failed_logins, phone_cipher, phone_masked, created_at) SELECT i, 1, 1, "
        "'server' || i, '送达员' || i, 'process_server', 'x', 'x', 0, 0, '', '', now() FROM generate_series(1, 50) i",
        # The attempts: spread over the year; 85 % closed (70 % of those served), the rest open.
        f"INSERT INTO attempt (court_id, centre_id, service_id, recipient_id, channel, status, assignee_id, area, "
        f"due_at, notes, hand_back_reason, outcome, method, failure_reason, failure_text, served_at, effective_at, "
        f"effect_rule, effect_reason, created_at, closed_at, updated_at) "
        f"SELECT 1 + (1 + s % {cases}) % 10, 1, s, r, c, "
        f"CASE WHEN j % 20 < 17 THEN 'closed' WHEN c IN ('sms','portal','wechat') THEN 'in_progress' "
        f"ELSE 'assigned' END, CASE WHEN c IN ('sms','portal','wechat') THEN NULL ELSE 1 + j % 50 END, '', "
        f"CASE WHEN c IN ('sms','portal','wechat') THEN NULL ELSE t + interval '7 days' END, '', '', "
        f"CASE WHEN j % 20 >= 17 THEN NULL WHEN j % 10 < 7 THEN 'served' ELSE 'failed' END, "
        f"CASE WHEN j % 20 < 17 AND j % 10 < 7 THEN {METHODS} END, "
        f"CASE WHEN j % 20 < 17 AND j % 10 >= 7 THEN 'no_answer' END, '', NULL, NULL, '', '', t, "
        f"CASE WHEN j % 20 < 17 THEN t + ((j::bigint * 7919) % 400) * interval '1 hour' END, t "
        f"FROM (SELECT j, 1 + j % {recipients} AS r, 1 + (1 + j % {recipients}) % {services} AS s, "
        f"({CHANNELS})[1 + j % 13] AS c, timestamptz '2025-01-01 00:00+08' + (j % 365) * interval '1 day' "
        f"+ (j * 37 % 86400) * interval '1 second' AS t FROM generate_series(1, {attempts}) j) g",
        "ANALYZE",
    ]


async def admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(attempts: int, runs: int, keep: bool, reuse: bool) -> int:
    from app.database import close_database, init_database, migrate_database
    from centre.scope import Scope
    from centre.statistics import Period, centre_statistics
    from centre.statistics_direct import direct_statistics
    from centre.statistics_rollup import roll_up_statistics
    from core.settings import Settings
    from service.models import Attempt

    if not reuse:
        await admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin(f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8'")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(_env_file=None, database_url=DB_URL, data_dir=Path(data_dir))
            await migrate_database(settings)
            await init_database(settings)
            conn = Attempt._meta.db
            started = time.perf_counter()
            for sql in [] if reuse else seed_sql(attempts):
                await conn.execute_script(sql)
            if not reuse:
                print(f"seeded {attempts:,} attempts in {time.perf_counter() - started:.1f} s")
            year = Period(date(2025, 1, 1), date(2025, 12, 31))
            now = datetime(2026, 1, 15, tzinfo=timezone.utc)
            started, passes = time.perf_counter(), 0
            while await roll_up_statistics(now=now):
                passes += 1
            await conn.execute_script("ANALYZE")
            print(f"rolled up 2025 in {passes} passes, {time.perf_counter() - started:.1f} s")
            centre, court = Scope(1, centre_id=1), Scope(1, court_id=1)
            rows = {"trivial query (SELECT 1)": lambda: conn.execute_query_dict("SELECT 1"),
                    "year, dispatcher, direct (before)": lambda: direct_statistics(centre, year, now=now),
                    "year, dispatcher, roll-up": lambda: centre_statistics(centre, year, now=now),
                    "year, clerk, direct (before)": lambda: direct_statistics(court, year, now=now),
                    "year, clerk, roll-up": lambda: centre_statistics(court, year, now=now)}
            results = await _time(rows, runs)
            direct, rolled = (await direct_statistics(centre, year, now=now), await centre_statistics(centre, year, now=now))
            same = (direct.staff == rolled.staff
                    and [(f.attempts, f.closed, f.served, f.cases, f.recipients, f.documents, f.routes) for f in direct.channels]
                    == [(f.attempts, f.closed, f.served, f.cases, f.recipients, f.documents, f.routes) for f in rolled.channels])
            print(f"roll-up figures equal the direct ones (counts, reach, staff): {same}")
            # A late change on seven days of December: those days are read live until the next pass.
            await conn.execute_script(
                "UPDATE attempt SET closed_at = closed_at + interval '1 hour' WHERE id IN (SELECT min(id) FROM attempt "
                "WHERE created_at >= '2025-12-01 00:00+08' AND created_at < '2025-12-08 00:00+08' "
                "GROUP BY (created_at AT TIME ZONE 'Asia/Shanghai')::date)")
            dirty = {"year, dispatcher, roll-up, 7 days dirty": lambda: centre_statistics(centre, year, now=now)}
            await _time(dirty, runs)
            # Today and yesterday are never rolled up: two days of attempts computed live.
            await conn.execute_script("DELETE FROM statistics_day WHERE day >= '2025-12-30'")
            await _time({"year, dispatcher, + 2 days live": lambda: centre_statistics(centre, year, now=now),
                         "year, clerk, + 2 days live": lambda: centre_statistics(court, year, now=now)}, runs)
            await close_database()
            await close_database()
    finally:
        if not (keep or reuse):
            await admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    return 0 if results["year, dispatcher, roll-up"] < CEILING else 2


async def _time(rows: dict, runs: int) -> dict[str, float]:
    results = {}
    for name, call in rows.items():
        await call()  # warm
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = await call()
            times.append(time.perf_counter() - t)
        results[name] = statistics.median(times)
        extra = f"  attempts counted {result.total.attempts:,}" if hasattr(result, "total") else ""
        print(f"{name:42s} p50 {results[name] * 1000:8.1f} ms  max {max(times) * 1000:8.1f} ms{extra}", flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.attempts, args.runs, args.keep, args.reuse)))
