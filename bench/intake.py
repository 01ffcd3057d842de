"""Intake throughput through the court HTTP API: ``.venv/bin/python bench/intake.py [--help]``.

PostgreSQL only: a fresh temp data dir and the database ``songda_bench`` dropped and recreated,
``python -m app migrate``, a court and an API client, then ``python -m app serve`` as a subprocess
on a free loopback port. The documents are uploaded once; the clock covers only the POST
/court/api/v1/services calls, each of which must answer 201. bench/hello.py, served with the same
worker count and hit with the same bodies, client and concurrency, is the baseline for the ratio.
Exit status: 0 all good, 1 a request or the set-up failed, 2 the 30 s floor was missed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file, so the project root is not on the path yet
from identity.id_numbers import resident_id_check_char  # noqa: E402

HOST = "127.0.0.1"  # loopback only
PDFS = ROOT / "app" / "sample_documents"
PDF_KINDS = [("summons.pdf", "summons"), ("notice_to_respond.pdf", "notice_to_respond"),
             ("judgment.pdf", "judgment"), ("mediation.pdf", "mediation")]
# SONGDA_BENCH_PG_HOST=/var/run/postgresql: the server reaches PostgreSQL by its Unix socket, as a
# deployment with the database on the same host would (loopback TCP by default).
PG_HOST = quote(os.environ.get("SONGDA_BENCH_PG_HOST", HOST), safe="")
PG_ADMIN_URL = f"postgres://postgres@{PG_HOST}:5432/postgres"
PG_BENCH_URL = f"postgres://postgres@{PG_HOST}:5432/songda_bench"
READY_PATH = "/court/api/v1/openapi.json"  # cheap, no auth, no database
# Two workers measured no better than one on 2 cores (the database and the client need the second
# core), but two is how it would be deployed.
DEFAULT_WORKERS = {"postgres": 2}
FLOOR_RECIPIENTS, FLOOR_SECONDS = 10_000, 30.0
STOP_TIMEOUT = 15.0


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    workers: int

    def log_summary(self) -> str:
        """The log's exception lines, counted (the cause at a glance), then its last lines."""
        text = self.log.read_text(errors="replace")
        errors = Counter(re.findall(r"^[\w.]+(?:Error|Exception)\b.*$", text, re.MULTILINE))
        counted = "".join(f"{n} × {line}\n" for line, n in errors.most_common(5))
        return f"{counted}server log tail:\n{text[-1500:]}"


@dataclass
class Result:
    target: str
    workers: int
    done: list[float]  # completion time of each request, seconds since the clock started
    recipients: int = 0  # 0 for the baseline, which creates nothing
    baseline: float = 0.0  # req/s of hello-world with the same workers

    @property
    def seconds(self) -> float:
        return self.done[-1]

    @property
    def rps(self) -> float:
        return len(self.done) / self.seconds

    def tenth_rps(self) -> tuple[float, float]:
        """req/s over the first and the last tenth: a drop means cost grows with table size."""
        k = max(1, len(self.done) // 10)
        before_last = self.done[-k - 1] if len(self.done) > k else 0.0
        return k / self.done[k - 1], k / (self.seconds - before_last)


class BenchError(Exception):
    pass


def clean_env(data_dir: Path, database_url: str) -> dict[str, str]:
    # Drop inherited SONGDA_* so a developer's shell settings cannot leak into the measurement.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SONGDA_")}
    env.update(SONGDA_DATA_DIR=str(data_dir), SONGDA_DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"python -m app {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def server(argv: list[str], env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    """Run a server in its own session (so its workers share one process group); always stop it."""
    with socket.socket() as s:  # the kernel picks a free port; the race until sanic binds is harmless
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    with open(log, "wb") as out:
        proc = subprocess.Popen([*argv, "--host", HOST, "--port", str(port), "--workers", str(workers)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield Server(f"http://{HOST}:{port}", proc, log, workers)
    finally:
        proc.send_signal(signal.SIGINT)  # sanic's graceful shutdown: workers drain, DB pool closes
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Sanic's main process can hang if signalled while still collecting worker acks.
            os.killpg(proc.pid, signal.SIGKILL)  # this server's own group: pgid == its pid
            proc.wait(timeout=STOP_TIMEOUT)
            print(f"  ! server on port {port} did not stop in {STOP_TIMEOUT:.0f} s; killed", file=sys.stderr)


def cpu_seconds(server_pgid: int) -> dict[int, tuple[str, float]]:
    """Per process: party (the server's group, PostgreSQL, this client, other) and CPU seconds."""
    tick, me = os.sysconf("SC_CLK_TCK"), os.getpid()
    total: dict[int, tuple[str, float]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended meanwhile
        comm, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        pid, pgid = int(stat.parent.name), int(fields[2])
        party = ("client" if pid == me else "server" if pgid == server_pgid
                 else "database" if comm == "postgres" else "other")
        total[pid] = party, (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> Counter[str]:
    """CPU seconds per party between two snapshots ("other": what other jobs took from our cores,
    to read before trusting a figure). Processes that exited in between are not counted."""
    used = Counter[str]()
    for pid, (party, seconds) in after.items():
        used[party] += seconds - before.get(pid, (party, 0.0))[1]
    return used


async def wait_ready(session: aiohttp.ClientSession, srv: Server, path: str, warmup: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        if srv.proc.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"server at {srv.url} not ready (exit code {srv.proc.poll()}); "
                             f"\n{srv.log_summary()}")
        # Sanic's main process hangs if signalled before it has collected every worker's ack
        # (sent just before a worker logs "Worker ready"), so wait for all workers, not just one.
        all_up = srv.log.read_text(errors="replace").count("Worker ready") >= srv.workers
        try:
            async with session.get(srv.url + path) as resp:
                if resp.status < 500 and all_up:
                    break
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # the main process polls for acks every 0.1 s

    async def get() -> None:
        async with session.get(srv.url + path) as resp:
            await resp.read()

    # Warm-up so every worker is up and has imported lazily loaded code before the clock starts.
    await asyncio.gather(*(get() for _ in range(warmup)))


async def drive(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                bodies: list[bytes], concurrency: int) -> tuple[list[float], list[str]]:
    """POST every body with at most ``concurrency`` in flight; return completion times, failures."""
    failures: list[str] = []
    done: list[float] = []
    queue = iter(range(len(bodies)))  # shared: each lane takes the next request when it is free

    async def lane() -> None:
        for i in queue:
            try:
                async with session.post(url, data=bodies[i], headers=headers) as resp:
                    text = await resp.text()
                    if resp.status != 201:
                        failures.append(f"request {i}: HTTP {resp.status} {text[:300]}")
            except aiohttp.ClientError as exc:
                failures.append(f"request {i}: {type(exc).__name__}: {exc}")
            done.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return done, failures


def resident_id(n: int) -> str:
    """A valid, distinct 18-digit resident ID per n: birth date and sequence both vary."""
    first17 = f"450202{date(1960, 1, 1) + timedelta(days=n // 999):%Y%m%d}{n % 999 + 1:03d}"
    return first17 + resident_id_check_char(first17)


def service_bodies(services: int, recipients: int, document_ids: list[int]) -> list[bytes]:
    """Encoded up front so the client spends no CPU on JSON while the clock runs."""
    bodies = []
    for s in range(services):
        people = [{
            "ref": f"r{r}", "name": f"当事人{n}", "role": "plaintiff" if r == 0 else "defendant",
            "phone": f"138{n:08d}", "id_type": "resident_id", "id_number": resident_id(n),
            "address": "广西柳州市城中区示范路1号", "consent": "confirmed",
            "channels": ["sms", "portal", "wechat"],
        } for r in range(recipients) for n in [s * recipients + r]]
        body = {"case": {"case_number": f"(2024)桂1202民初{s + 1}号", "cause": "民间借贷纠纷",
                         "judge": "张法官", "clerk": "李书记员"},
                "document_ids": document_ids, "recipients": people, "external_id": f"bench-{s}"}
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def session_for(concurrency: int) -> aiohttp.ClientSession:
    # One keep-alive connection per lane, as a court system's HTTP pool would hold.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                 timeout=aiohttp.ClientTimeout(total=120))


async def upload_documents(srv: Server, auth: dict[str, str], count: int) -> list[int]:
    ids = []
    async with session_for(1) as session:
        await wait_ready(session, srv, READY_PATH, warmup=0)
        for i in range(count):
            filename, kind = PDF_KINDS[i % len(PDF_KINDS)]
            form = aiohttp.FormData()
            form.add_field("file", (PDFS / filename).read_bytes(), filename=filename,
                           content_type="application/pdf")
            form.add_field("kind", kind)
            async with session.post(f"{srv.url}/court/api/v1/documents", data=form, headers=auth) as resp:
                if resp.status != 201:
                    raise BenchError(f"upload {filename}: HTTP {resp.status} {await resp.text()}")
                ids.append((await resp.json())["id"])
    return ids


async def recreate_pg_database(create: bool = True) -> None:
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute("DROP DATABASE IF EXISTS songda_bench WITH (FORCE)")
            if create:
                await conn.execute("CREATE DATABASE songda_bench")
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"PostgreSQL at {PG_ADMIN_URL}: {exc}") from exc


async def measure(args: argparse.Namespace, target: str, srv: Server, ready_path: str, path: str,
                  headers: dict[str, str], bodies: list[bytes], workers: int, recipients: int = 0) -> Result:
    async with session_for(args.concurrency) as session:
        await wait_ready(session, srv, ready_path, warmup=4 * args.concurrency)
        cpu_before = cpu_seconds(srv.proc.pid)
        done, failures = await drive(session, srv.url + path, headers, bodies, args.concurrency)
        cpu = cpu_used(cpu_before, cpu_seconds(srv.proc.pid))
    if failures:
        shown = "\n  ".join(failures[:10])
        raise BenchError(f"{target}: {len(failures)} of {len(bodies)} requests failed, first ones:\n"
                         f"  {shown}\n{srv.log_summary()}")
    result = Result(target, workers, done, recipients)
    first, last = result.tenth_rps()
    print(f"  {target}: {result.rps:.0f} req/s (first tenth {first:.0f}, last tenth {last:.0f}); CPU s: "
          + ", ".join(f"{k} {cpu[k]:.1f}" for k in ("server", "database", "client", "other")), flush=True)
    return result


async def run_hello(args: argparse.Namespace, workers: int, bodies: list[bytes], tmp: Path) -> Result:
    argv = [sys.executable, str(ROOT / "bench" / "hello.py")]
    with server(argv, clean_env(tmp, ""), workers, tmp / f"hello-{workers}.log") as srv:
        return await measure(args, f"hello ({workers}w)", srv, "/", "/",
                             {"Content-Type": "application/json"}, bodies, workers)


async def run_db(args: argparse.Namespace, db: str, workers: int, tmp: Path) -> Result:
    await recreate_pg_database()
    env = clean_env(tmp / db, PG_BENCH_URL)
    run_cli(env, "migrate")
    run_cli(env, "create-court", "--code", "桂1202", "--name", "示范市城中区人民法院")
    key = run_cli(env, "create-api-client", "--name", "bench", "--system", "trial",
                  "--court", "桂1202").strip().splitlines()[-1]  # the key is the last line
    auth = {"Authorization": f"Bearer {key}"}
    with server([sys.executable, "-m", "app", "serve"], env, workers, tmp / f"{db}.log") as srv:
        bodies = service_bodies(args.services, args.recipients,
                                await upload_documents(srv, auth, args.documents))
        return await measure(args, db, srv, READY_PATH, "/court/api/v1/services",
                             {**auth, "Content-Type": "application/json"}, bodies, workers,
                             recipients=args.services * args.recipients)


def print_table(results: list[Result]) -> bool:
    row = "| {:<10} | {:>7} | {:>8} | {:>7} | {:>5} | {:>12} | {:>17} |".format
    print(row("target", "workers", "requests", "seconds", "req/s", "recipients/s", "ratio to baseline"))
    print(row(*["-" * n for n in (10, 7, 8, 7, 5, 12, 17)]).replace(" ", "-"))  # markdown rule
    for r in results:
        print(row(r.target, r.workers, len(r.done), f"{r.seconds:.2f}", f"{r.rps:.0f}",
                  f"{r.recipients / r.seconds:.0f}" if r.recipients else "-",
                  f"{r.rps / r.baseline:.3f}" if r.baseline else "1"))
    met = True
    for r in (r for r in results if r.recipients):
        # Projected to the 10,000 recipients so that smaller trial runs still say something.
        projected = FLOOR_RECIPIENTS * r.seconds / r.recipients
        met &= projected < FLOOR_SECONDS
        print(f"{r.target}: {FLOOR_RECIPIENTS:,} recipients in {projected:.1f} s"
              f"{' (projected)' if r.recipients != FLOOR_RECIPIENTS else ''}"
              f" — {FLOOR_SECONDS:.0f} s floor {'met' if projected < FLOOR_SECONDS else 'NOT MET'}")
    return met


async def main_async(args: argparse.Namespace) -> int:
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if unknown := set(dbs) - set(DEFAULT_WORKERS):
        raise BenchError(f"--db: unknown {', '.join(sorted(unknown))}; choose from {', '.join(DEFAULT_WORKERS)} "
                         "(SQLite is no longer supported)")
    results: list[Result] = []
    baselines: dict[int, float] = {}
    # The baseline gets bodies of the same shape and size; its ids need not exist.
    hello_bodies = service_bodies(args.services, args.recipients, list(range(1, args.documents + 1)))
    with tempfile.TemporaryDirectory(prefix="songda-bench-") as tmp:
        try:
            for db in dbs:
                workers = args.workers or DEFAULT_WORKERS[db]
                if workers not in baselines:
                    hello = await run_hello(args, workers, hello_bodies, Path(tmp))
                    baselines[workers] = hello.rps
                    results.append(hello)
                result = await run_db(args, db, workers, Path(tmp))
                result.baseline = baselines[workers]
                results.append(result)
        finally:
            if dbs:
                with suppress(BenchError):  # don't hide the original error behind this one
                    await recreate_pg_database(create=False)  # leave no test recipients behind
    print(f"\n{args.services} services × {args.recipients} recipients × {args.documents} documents, "
          f"concurrency {args.concurrency}, {os.cpu_count()} CPUs\n")
    return 0 if print_table(results) else 2


def main() -> int:
    parser = argparse.ArgumentParser(description="Intake API throughput against a sanic hello-world")
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--recipients", type=int, default=5, help="per service (the API allows 50)")
    parser.add_argument("--documents", type=int, default=3, help="per service, uploaded once")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--workers", type=int, default=0,
                        help="server processes (default: 2)")
    parser.add_argument("--db", default="postgres", help="postgres, the only database (kept for old commands)")
    return run_bench(main_async(parser.parse_args()))


def run_bench(coro) -> int:
    """Run a bench's coroutine; a BenchError is exit status 1 with its message."""
    # SIGTERM unwinds like Ctrl-C, so the servers and the database are still cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return asyncio.run(coro)
    except BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
