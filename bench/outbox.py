"""Webhooks delivered per second: 2 relay processes on PostgreSQL, to a loopback receiver.

    .venv/bin/python bench/outbox.py [--jobs 6000] [--relays 2] [--batch 50]

Creates (and afterwards drops) the database ``songda_outbox_bench`` on the server named by
SONGDA_TEST_PG_ADMIN (default postgres://postgres@127.0.0.1:5432/test), migrates it, inserts N
WEBHOOK jobs directly, then starts the relays (``multiprocessing``) at once and times until the
outbox is drained. Each relay runs the product path: ``deliver_webhooks`` (claim with SKIP LOCKED
+ compare-and-set, decrypt the secret, sign, POST, complete).

Rows, measured in the same run against the same receiver process (aiohttp, answers 204):
- raw receiver: the same number of POSTs of the same body from the same number of processes,
  with a plain httpx loop of the same concurrency — no database, no signing. The ceiling.
- relays: the outbox path.

Exit status: 0 good, 2 the floor (1,000 events/s) was missed or a job was lost or sent twice.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file, so the project root is not on the path yet

FLOOR = 1000.0
DB_NAME = "songda_outbox_bench"
ADMIN_DSN = os.environ.get("SONGDA_TEST_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
DB_URL = ADMIN_DSN.rsplit("/", 1)[0] + "/" + DB_NAME
BODY = json.dumps({"type": "delivery.viewed", "timestamp": "2026-11-28T09:00:00+00:00",
                   "data": {"event_id": 1, "service_id": 1, "recipient_id": 1, "status": "viewed"}}).encode()


def settings(data_dir: str):
    from core.settings import Settings
    return Settings(_env_file=None, database_url=DB_URL, data_dir=Path(data_dir), database_pool_max=10)


# --- receiver -------------------------------------------------------------------------------

def receiver_main(port_queue, count, ids_queue, stop) -> None:
    from aiohttp import web

    seen: list[str] = []

    async def handle(request):
        await request.read()
        seen.append(request.headers.get("webhook-id", ""))
        with count.get_lock():
            count.value += 1
        return web.Response(status=204)

    async def main():
        app = web.Application()
        app.router.add_post("/hook", handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.05)
        ids_queue.put([i for i in seen if i])
        await runner.cleanup()

    asyncio.run(main())


# --- raw baseline ---------------------------------------------------------------------------

def raw_main(url: str, n: int, concurrency: int, via_aiohttp: bool, start, done_queue) -> None:
    import httpx

    from court.webhooks.relay import webhook_http_client

    async def main():
        client = webhook_http_client() if via_aiohttp else httpx.AsyncClient(timeout=10)
        async with client:
            start.wait()
            sent = 0
            while sent < n:
                k = min(concurrency, n - sent)
                await asyncio.gather(*(client.post(url, content=BODY, headers={"content-type": "application/json"})
                                       for _ in range(k)))
                sent += k
        done_queue.put(time.perf_counter())

    asyncio.run(main())


# --- a set-based claim, as a proposal for jobs/outbox.py -----------------------------------

async def claim_set_based(kind, *, worker_id: str, now: datetime, lease, limit: int = 10):
    """One UPDATE claims the whole batch (PostgreSQL): rows other claimers hold are skipped, and
    the outer WHERE is re-checked on each locked row, so no compare-and-set round trip per row
    is needed. Then one SELECT loads the models. 2 statements per batch instead of 1 + 2 per row."""
    from tortoise import connections

    from jobs.models import OutboxJob

    # The pick is a MATERIALIZED CTE: as a plain ``IN (SELECT … LIMIT n …)`` PostgreSQL may run
    # the subquery more than once and claim more than ``n`` rows (the tests caught it doing so).
    rows = await connections.get("default").execute_query_dict(
        "WITH picked AS MATERIALIZED (SELECT id FROM outbox_job WHERE kind = $3 AND done_at IS NULL "
        "  AND available_at <= $4 AND (locked_until IS NULL OR locked_until < $4) "
        "  ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) "
        "UPDATE outbox_job SET locked_until = $1, locked_by = $2, attempts = attempts + 1 "
        "FROM picked WHERE outbox_job.id = picked.id AND outbox_job.done_at IS NULL "
        "AND (outbox_job.locked_until IS NULL OR outbox_job.locked_until < $4) RETURNING outbox_job.id",
        [now + lease, worker_id, kind.value, now, limit])
    if not rows:
        return []
    return await OutboxJob.filter(id__in=[r["id"] for r in rows]).order_by("id")


# --- relays ---------------------------------------------------------------------------------

def relay_main(index: int, data_dir: str, batch: int, set_based: bool, start, done_queue) -> None:
    async def main():
        from app.database import close_database, init_database
        from court.webhooks.relay import deliver_webhooks, webhook_http_client
        from jobs.kinds import JobKind
        from jobs.models import OutboxJob

        relay_settings = settings(data_dir)
        await init_database(relay_settings)
        delivered = 0
        async with webhook_http_client() as client:
            start.wait()
            while True:
                now = datetime.now(timezone.utc)
                delivered += await deliver_webhooks(worker_id=f"bench-{index}", now=now, http_client=client,
                                                    limit=batch, allow_private=True, settings=relay_settings,
                                                    **({"claim_jobs": claim_set_based} if set_based else {}))
                if not await OutboxJob.filter(kind=JobKind.WEBHOOK, done_at__isnull=True).exists():
                    break
        done_queue.put((time.perf_counter(), delivered))
        await close_database()

    asyncio.run(main())


# --- set-up ---------------------------------------------------------------------------------

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


async def drop_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    finally:
        await conn.close()


async def subscribe(data_dir: str, url: str) -> int:
    from app.database import close_database, init_database
    from centre.courts import register_court
    from court.api_clients import create_api_client
    from court.webhooks.subscriptions import set_webhook
    from service.choices import CourtSystem

    s = settings(data_dir)
    await init_database(s)
    court = await register_court(code="桂1202", name="示范市城中区人民法院")
    client, _ = await create_api_client(court, "bench", CourtSystem.TRIAL)
    await set_webhook(client, url, settings=s, allow_private=True)
    await close_database()
    return client.id


async def insert_jobs(data_dir: str, client_id: int, n: int, round_: str) -> list[str]:
    from app.database import close_database, init_database
    from jobs.kinds import JobKind
    from jobs.models import OutboxJob

    await init_database(settings(data_dir))
    now = datetime.now(timezone.utc)
    payload = json.loads(BODY)
    keys = [f"webhook:{round_}{i}:{client_id}" for i in range(1, n + 1)]
    for start in range(0, n, 1000):
        await OutboxJob.bulk_create([
            OutboxJob(kind=JobKind.WEBHOOK, dedupe_key=key, payload={"client_id": client_id, **payload},
                      available_at=now) for key in keys[start:start + 1000]])
    await close_database()
    return keys


def run_parallel(target, args_for, k: int) -> float:
    ctx = mp.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_for(i), start, done)) for i in range(k)]
    for p in procs:
        p.start()
    time.sleep(3)  # let every process import and connect before the clock starts
    t0 = time.perf_counter()
    start.set()
    ends = [done.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    last = max(e[0] if isinstance(e, tuple) else e for e in ends)
    return last - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=6000)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="outbox-bench-")
    n, k, batch = args.jobs, args.relays, args.batch

    ctx = mp.get_context("spawn")
    port_q, ids_q, stop, count = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("l", 0)
    receiver = ctx.Process(target=receiver_main, args=(port_q, count, ids_q, stop))
    receiver.start()
    url = f"http://127.0.0.1:{port_q.get(timeout=30)}/hook"
    rows: list[tuple[str, int, float]] = []
    try:
        asyncio.run(recreate_database(data_dir))
        client_id = asyncio.run(subscribe(data_dir, url))
        per = n // k
        rows.append(("raw receiver: plain httpx loop (no DB, no signing)", per * k,
                     run_parallel(raw_main, lambda i: (url, per, batch, False), k)))
        rows.append(("raw receiver: httpx over the relay's aiohttp transport", per * k,
                     run_parallel(raw_main, lambda i: (url, per, batch, True), k)))
        keys = asyncio.run(insert_jobs(data_dir, client_id, n, "a"))
        rows.append(("outbox relays, `jobs.outbox.claim` (product path)", n,
                     run_parallel(relay_main, lambda i: (i, data_dir, batch, False), k)))
        keys += asyncio.run(insert_jobs(data_dir, client_id, n, "b"))
        rows.append(("outbox relays, set-based claim (proposal)", n,
                     run_parallel(relay_main, lambda i: (i, data_dir, batch, True), k)))
        stop.set()
        ids = [i for i in ids_q.get(timeout=30) if i.startswith("webhook:")]
    finally:
        stop.set()
        receiver.join(timeout=10)
        if not args.keep:
            asyncio.run(drop_database())

    lost, twice = len(set(keys) - set(ids)), len(ids) - len(set(ids))
    print(f"\n{k} processes, up to {batch} requests in flight each, PostgreSQL, loopback receiver\n")
    print("| | n | seconds | per second |")
    print("|---|---|---|---|")
    for name, count_, seconds in rows:
        print(f"| {name} | {count_} | {seconds:.2f} | {count_ / seconds:,.0f} |")
    product = n / rows[2][2]
    print(f"\nwebhooks lost: {lost}; sent twice: {twice}; floor: {FLOOR:,.0f}/s on the product path")
    return 2 if lost or twice or product < FLOOR else 0


if __name__ == "__main__":
    sys.exit(main())
