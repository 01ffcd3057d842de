"""Landing pages under many concurrent connections: 50, then 500, against the same server.

A litigant's first two requests are the SMS link (``/s/<token>``, which creates the link session
and answers 303) and the landing page it redirects to (``/d/<id>``). Each of N connections is one
phone: it opens its own link from its own address (``X-Forwarded-For`` from a trusted proxy, as
behind the production proxy), then keeps reloading its landing page on a keep-alive connection,
and opens its link again every tenth request. Nothing is retried and no status ends the run: every
5xx is counted, so a pool that runs dry (redis-py's connection pool, the database pool) shows up
as a count, not as a crash. A request shed by admission control (503 ``overloaded``, web/admission.py)
is counted apart, as "shed", and left out of the latencies; its phone waits the ``Retry-After``
the answer names, as the page asks a litigant to, before its next request. A shed answer is a
503 all the same: the floor counts it as a 5xx.

    .venv/bin/python bench/landing_connections.py                      # 50 and 500 connections, 10 s each
    .venv/bin/python bench/landing_connections.py --connections 50,200,500 --seconds 20

The first row is the baseline of the same run; the table gives each row's ratio to it. Exit
status 2 when the largest row has any 5xx (a shed request included), or a p99 of 1 s or more.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from contextlib import suppress
from pathlib import Path

import aiohttp
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.intake import (  # noqa: E402
    READY_PATH,
    BenchError,
    recreate_pg_database,
    run_bench,
    server,
    upload_documents,
    wait_ready,
)
from bench.litigant_flow import Http, Outbox, bodies, pct, phone_of, prepare_court, wait_for_notices  # noqa: E402

FLOOR_P99_SECONDS = 1.0
SHED_MARK = "当前访问人数较多".encode()  # the admission control's page (core.errors.Overloaded)
SHED_WAIT_SECONDS = 1.0  # its Retry-After (SONGDA_ADMISSION_RETRY_AFTER's default)
REOPEN_EVERY = 10


def address(lane: int, n: int) -> str:
    """A distinct client address per link opening (the per-address lookup limit is for abuse)."""
    k = lane * 1_000 + n
    return f"10.{(k >> 16) & 255}.{(k >> 8) & 255}.{(k & 255) or 1}"


async def run_round(base: str, links: list[str], connections: int, seconds: float) -> dict:
    """``connections`` phones for ``seconds``; latencies and statuses of every request."""
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {"open": [], "landing": []}
    statuses: Counter[str] = Counter()
    started = time.perf_counter()

    async def timed(http: Http, path: str) -> tuple[int, str]:
        kind = "open" if path.startswith("/s/") else "landing"
        t0 = time.perf_counter()
        try:
            status, location, body = await http.request("GET", path)
        except (BenchError, OSError, TimeoutError) as exc:
            statuses[f"error {type(exc).__name__}"] += 1
            return 0, ""
        if status == 503 and SHED_MARK in body:
            statuses["shed"] += 1
            await asyncio.sleep(SHED_WAIT_SECONDS)
            return status, ""
        latencies.append(time.perf_counter() - t0)
        by_kind[kind].append(latencies[-1])
        statuses[f"{status // 100}xx"] += 1
        return status, location

    async def phone(lane: int) -> None:
        token_path = "/" + links[lane % len(links)].split("://", 1)[-1].split("/", 1)[1]
        landing, opened = "", 0
        http = None
        try:
            while time.perf_counter() - started < seconds:
                if not landing or opened % REOPEN_EVERY == 0:
                    if http is not None:
                        http.close()
                    http = Http(base, headers={"X-Forwarded-For": address(lane, opened)}, timeout=30)
                    status, location = await timed(http, token_path)
                    # No session without a 303 (shed, refused): open again, never the old landing
                    # page on the new connection, which has no session cookie (a 4xx).
                    landing = location if status == 303 else ""
                    opened += 1
                    if not landing:
                        await asyncio.sleep(0.05)
                        continue
                await timed(http, landing)
                opened += 1
        finally:
            if http is not None:
                http.close()

    await asyncio.gather(*(phone(lane) for lane in range(connections)))
    elapsed = time.perf_counter() - started
    return {"connections": connections, "requests": len(latencies), "statuses": statuses,
            # pct() answers in milliseconds
            "p50": pct(latencies, 0.5) / 1000 if latencies else 0.0,
            "p99": pct(latencies, 0.99) / 1000 if latencies else 0.0,
            "rate": len(latencies) / elapsed,
            "kinds": {k: (len(v), pct(v, 0.5) if v else 0.0, pct(v, 0.99) if v else 0.0) for k, v in by_kind.items()}}


async def main_async(args) -> int:
    rounds = [int(n) for n in args.connections.split(",")]
    links_needed = max(rounds)
    with tempfile.TemporaryDirectory(prefix="songda-landing-") as tmp_name:
        tmp = Path(tmp_name)
        results = []
        try:
            env, auth = await prepare_court(tmp / "data", args.redis_url)
            env.update(dict(item.split("=", 1) for item in args.set))
            outbox = Outbox(tmp / "data" / "dev-sms.jsonl")
            with server([sys.executable, "-m", "app", "serve"], env, args.workers, tmp / "server.log") as srv:
                ids = await upload_documents(srv, auth, 1)
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as s:
                    for body in bodies(links_needed, ids):
                        async with s.post(srv.url + "/court/api/v1/services", data=body,
                                          headers={**auth, "Content-Type": "application/json"}) as resp:
                            if resp.status != 201:
                                raise BenchError(f"intake: HTTP {resp.status} {await resp.text()}")
                    await wait_for_notices(outbox, links_needed, timeout=300)
                    await wait_ready(s, srv, READY_PATH, warmup=20)
                links = [outbox.links[phone_of(n)] for n in range(links_needed)]
                for connections in rounds:
                    print(f"{connections} connections for {args.seconds:.0f} s …", flush=True)
                    results.append(await run_round(srv.url, links, connections, args.seconds))
        finally:
            with suppress(BenchError):
                await recreate_pg_database(create=False)
    base = results[0]
    print(f"\nlanding pages (/s/ link + /d/ landing), {args.workers} workers, PostgreSQL, Redis limits\n")
    row = "| {:>11} | {:>8} | {:>7} | {:>5} | {:>6} | {:>13} | {:>8} | {:>8} | {:>8} | {:>14} |".format
    print(row("connections", "requests", "req/s", "5xx", "errors", "shed (503)", "p50 ms", "p99 ms", "2xx/3xx",
              "p99 vs first"))
    print(row(*["-" * 11, "-" * 8, "-" * 7, "-" * 5, "-" * 6, "-" * 13, "-" * 8, "-" * 8, "-" * 8,
                "-" * 14]).replace(" ", "-"))
    for r in results:
        errors = sum(v for k, v in r["statuses"].items() if k.startswith("error"))
        ok = r["statuses"]["2xx"] + r["statuses"]["3xx"]
        ratio = r["p99"] / base["p99"] if base["p99"] else 0.0
        shed = r["statuses"]["shed"]
        print(row(r["connections"], r["requests"], f"{r['rate']:.0f}", r["statuses"]["5xx"], errors,
                  f"{shed} ({100 * shed / max(1, r['requests'] + shed):.1f} %)",
                  f"{1000 * r['p50']:.1f}", f"{1000 * r['p99']:.1f}", ok, f"{ratio:.2f}"))
    print("statuses:", json.dumps({str(r["connections"]): dict(r["statuses"]) for r in results}))
    for r in results:
        print(f"{r['connections']} connections, p50 / p99 ms by request: " + "; ".join(
            f"{kind} ({n}) {p50:.1f} / {p99:.1f}" for kind, (n, p50, p99) in r["kinds"].items()))
    last = results[-1]
    failed = last["statuses"]["5xx"] + last["statuses"]["shed"] > 0 or last["p99"] >= FLOOR_P99_SECONDS
    print(f"\n{last['connections']} connections: 5xx {last['statuses']['5xx']}, shed {last['statuses']['shed']}, "
          f"p99 {1000 * last['p99']:.0f} ms "
          f"(floor: zero 5xx, shed ones included; p99 < {FLOOR_P99_SECONDS * 1000:.0f} ms): "
          f"{'NOT MET' if failed else 'met'}")
    return 2 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="landing pages under many concurrent connections")
    parser.add_argument("--connections", default="50,500", help="rounds, first is the baseline")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="SONGDA_NAME=VALUE",
                        help="a server setting for this run (repeatable), e.g. SONGDA_DATABASE_POOL_MAX=20")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12", help="emptied first")
    args = parser.parse_args()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return run_bench(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
