"""Litigants through the SMS-link pages: ``.venv/bin/python bench/litigant_flow.py [--help]``.

Set-up (not timed): a fresh database (PostgreSQL ``songda_bench`` by default), a court and an API
client, the server as a subprocess, ``--litigants`` services of one recipient each created through
the intake API, and the notice texts sent by the server's background loop (the short links are read
from the dev gateway's ``dev-sms.jsonl``, as a phone would receive them).

Timed, after ``--warmup`` untimed flows (a fresh server's first flows pay one-off costs: statements
prepared per pooled connection, plans, template compilation): ``--concurrency`` litigants at a
time, each: open the link (``/s/<token>`` → 303 → landing),
ask for a code, read it from ``dev-sms.jsonl``, verify, list the documents, open every document and
its page images, open the signing form, sign with a PNG, see the signed page. Each litigant comes
from its own address (``X-Forwarded-For`` from a trusted proxy, as behind the production proxy) and
its own phone prefix, so the abuse limits count each as one person. Afterwards the receipts'
time from signature to seal is read from the database (sealed off the request path).

Then the landing page alone at half the measured peak rate (open-loop, fixed arrival schedule), for
its p99. bench/hello.py with the same workers and client is the baseline.

The server reaches PostgreSQL over loopback TCP; ``SONGDA_BENCH_PG_HOST=/var/run/postgresql`` makes
it use the Unix socket instead, as a deployment with the database on the same host would (each
round trip costs less CPU on both sides: docs/PERFORMANCE.md).

The timed client is hand-rolled (``Http``: HTTP/1.1 on ``asyncio.open_connection``, one keep-alive
connection and one session cookie per litigant) because its CPU comes out of the same two cores as
the server and PostgreSQL, so whatever it spends lowers the ceiling it measures (the issue's baseline
was measured with wrk). Measured as "CPU s: ... client" (--litigants 200 and 1000, --sealing
separate): aiohttp took about 6-8 ms per flow, ``Http`` about 3 ms; a hello-world request costs it
0.05 ms against aiohttp's 0.1 ms. What is left per flow (not broken down) is the event loop and this
script's own work: the pages' regexes, form encoding, reading the codes. aiohttp stays for the set-up.

Exit status: 0 floors met, 1 a request or the set-up failed, 2 a floor missed.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import asyncpg
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.intake import (  # noqa: E402
    PG_BENCH_URL,
    READY_PATH,
    BenchError,
    clean_env,
    cpu_seconds,
    cpu_used,
    recreate_pg_database,
    resident_id,
    run_bench,
    run_cli,
    server,
    upload_documents,
    wait_ready,
)

FLOOR_FLOWS_PER_SECOND = 100.0
FLOOR_LANDING_P99_MS = 100.0
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
PAGE_IMG = re.compile(r'src="(/d/\d+/documents/\d+/pages/\d+\.png)"')
DOC_LINK = re.compile(r'href="(/d/\d+/documents/\d+)"')
COOKIE = "songda_sid"  # the dev-mode session cookie (production's has the __Host- prefix)
STEPS = ("open", "code", "verify", "list", "view", "page", "sign_form", "sign", "signed")


def phone_of(n: int) -> str:
    # A distinct 7-digit prefix per litigant: the per-prefix limit (30 codes an hour) is for abuse.
    return f"139{n:04d}{n % 10_000:04d}"


def address_of(n: int) -> str:
    """A distinct private address per client: the last octet runs 1..254 (never the network's .0
    nor its broadcast .255, nor the invalid 256), so 254 clients per /24."""
    host, rest = n % 254 + 1, n // 254
    return f"10.{rest // 256 % 256}.{rest % 256}.{host}"


def signature_data_url() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 160), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 100), (150, 30), (260, 120), (380, 40)], fill=(0, 0, 0, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def bodies(count: int, document_ids: list[int]) -> list[bytes]:
    out = []
    for n in range(count):
        body = {"case": {"case_number": f"(2024)桂1202民初{n + 1}号", "cause": "民间借贷纠纷"},
                "document_ids": document_ids, "external_id": f"flow-{n}",
                "recipients": [{"ref": "r", "name": f"当事人{n}", "role": "defendant", "phone": phone_of(n),
                                "id_type": "resident_id", "id_number": resident_id(n),
                                "consent": "confirmed", "channels": ["sms"]}]}
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


class Outbox:
    """The dev gateway's file, read incrementally: notice links and codes by phone."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.links: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    def poll(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next poll
        self.offset += end
        for line in data[:end].splitlines():
            message = json.loads(line)
            if message["template"] == "code":
                self.codes[message["phone"]] = message["params"]["code"]
            elif "link" in message["params"]:
                self.links[message["phone"]] = message["params"]["link"]

    async def code_for(self, phone: str, previous: str | None = None) -> str:
        for _ in range(2000):
            self.poll()
            code = self.codes.get(phone)
            if code and code != previous:
                return code
            await asyncio.sleep(0.005)
        raise BenchError(f"no code arrived for {phone}")


class Http:
    """One browser's keep-alive HTTP/1.1 connection and session cookie, on a bare asyncio stream.

    Hand-rolled rather than aiohttp because the client's CPU comes out of the same two cores as the
    server and PostgreSQL (see the module docstring); it does only what these pages need.
    """

    def __init__(self, base: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
        host, _, port = base.split("://", 1)[-1].partition(":")
        self.host, self.port, self.timeout = host, int(port or 80), timeout
        # Everything after the request line that never changes, encoded once per browser.
        fixed = {"Host": f"{host}:{self.port}", **(headers or {})}
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode()
        self.sid: str | None = None  # the newest songda_sid the server set (it rotates at verification)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str,
                      form: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        """Status, Location and body; redirects are not followed."""
        body = urlencode(form).encode() if form is not None else b""
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self.fixed
        if self.sid:
            head += f"Cookie: {COOKIE}={self.sid}\r\n".encode()
        if form is not None:
            head += b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n" % len(body)
        message = head + b"\r\n" + body
        try:
            async with asyncio.timeout(self.timeout):
                reused = self.writer is not None
                response = await self._send(message)
                if not response and reused:
                    # The server closed the idle connection before reading this request (keep-alive
                    # timeout, restart): send it again on a new one, as a browser does.
                    self.close()
                    response = await self._send(message)
                if not response:
                    raise BenchError(f"{method} {path}: connection closed without a response")
                return await self._read(response)
        except BaseException:
            self.close()  # whatever is left of a half-read response must not meet the next request
            raise

    async def _send(self, message: bytes) -> bytes:
        """Write the request and read the response head; b"" if the server had hung up."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(message)
            await self.writer.drain()
            return await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            return b""
        except ConnectionError:
            return b""

    async def _read(self, head: bytes) -> tuple[int, str, bytes]:
        lines = head[:-4].split(b"\r\n")
        try:
            status = int(lines[0].split(None, 2)[1])
        except (IndexError, ValueError):
            raise BenchError(f"malformed status line {lines[0][:100]!r}") from None
        length, chunked, close, location = -1, False, False, ""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
            elif name == b"location":
                location = value.decode()
            elif name == b"set-cookie":
                self._cookie(value)
        if chunked:
            body = await self._chunks()
        elif length >= 0:
            body = await self.reader.readexactly(length)
        elif status in (204, 304):
            body = b""
        else:  # neither length nor chunks: the body ends with the connection
            body, close = await self.reader.read(), True
        if close:
            self.close()
        return status, location, body

    async def _chunks(self) -> bytes:
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16):
            parts.append((await self.reader.readexactly(size + 2))[:-2])
        while await self.reader.readuntil(b"\r\n") != b"\r\n":
            pass  # trailer fields, none wanted
        return b"".join(parts)

    def _cookie(self, value: bytes) -> None:
        name, _, sid = value.split(b";", 1)[0].partition(b"=")
        if name.strip() == COOKIE.encode():
            # Logging out sets it empty (with Max-Age=0): the browser then sends none.
            self.sid = sid.strip().strip(b'"').decode() or None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Litigant:
    def __init__(self, n: int, link: str, base: str, outbox: Outbox, signature: str,
                 timings: dict[str, list[float]]) -> None:
        self.n, self.link, self.base, self.outbox, self.signature = n, link, base, outbox, signature
        self.timings = timings
        self.headers = {"X-Forwarded-For": address_of(n), "User-Agent": "Mozilla/5.0 (bench) MicroMessenger"}

    async def _call(self, http: Http, step: str, method: str, path: str, expect: int,
                    form: dict[str, str] | None = None) -> tuple[str, str]:
        started = time.perf_counter()
        status, location, body = await http.request(method, path, form)
        if status != expect:
            raise BenchError(f"litigant {self.n} {step} {method} {path}: HTTP {status} "
                             f"{body[:300].decode(errors='replace')}")
        self.timings[step].append(time.perf_counter() - started)
        return body.decode(errors="replace") if not body.startswith(b"\x89PNG") else "", location

    async def run(self) -> int:
        # Own connection and cookie per litigant: one phone, one browser.
        http = Http(self.base, self.headers)
        try:
            path = self.link.split("://", 1)[-1]
            path = path[path.index("/"):]
            _, landing = await self._call(http, "open", "GET", path, 303)
            page, _ = await self._call(http, "open", "GET", landing, 200)
            token = CSRF.search(page).group(1)
            await self._call(http, "code", "POST", landing + "/code", 303, {"csrf_token": token})
            code = await self.outbox.code_for(phone_of(self.n))
            _, documents = await self._call(http, "verify", "POST", landing + "/verify", 303,
                                            {"csrf_token": token, "code": code})
            listing, _ = await self._call(http, "list", "GET", documents, 200)
            for doc in dict.fromkeys(DOC_LINK.findall(listing)):
                viewer, _ = await self._call(http, "view", "GET", doc, 200)
                for image in PAGE_IMG.findall(viewer):
                    await self._call(http, "page", "GET", image, 200)
            form, _ = await self._call(http, "sign_form", "GET", landing + "/sign", 200)
            token = CSRF.search(form).group(1)  # the session rotated at verification
            _, signed = await self._call(http, "sign", "POST", landing + "/sign", 303,
                                         {"csrf_token": token, "confirm": "1", "signature": self.signature})
            await self._call(http, "signed", "GET", signed, 200)
            return int(landing.rsplit("/", 1)[-1])
        finally:
            http.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def wait_for_notices(outbox: Outbox, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(outbox.links) < count:
        if time.monotonic() > deadline:
            raise BenchError(f"only {len(outbox.links)} of {count} notices were sent in {timeout:.0f} s")
        outbox.poll()
        await asyncio.sleep(0.2)


async def flows(args, srv, outbox: Outbox, first: int,
                count: int) -> tuple[float, dict[str, list[float]], list[int], dict]:
    """Litigants ``first`` … ``first + count - 1`` through the whole flow, ``--concurrency`` at a time."""
    timings: dict[str, list[float]] = defaultdict(list)
    signature = signature_data_url()
    people = [Litigant(n, outbox.links[phone_of(n)], srv.url, outbox, signature, timings)
              for n in range(first, first + count)]
    queue = iter(people)
    delivered: list[int] = []
    failures: list[str] = []

    async def lane() -> None:
        for litigant in queue:
            try:
                delivered.append(await litigant.run())
            except (BenchError, OSError, EOFError, ValueError, asyncio.LimitOverrunError, AttributeError) as exc:
                failures.append(f"{type(exc).__name__}: {exc}")

    cpu_before = cpu_seconds(srv.proc.pid)
    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(args.concurrency)))
    seconds = time.perf_counter() - started
    cpu = cpu_used(cpu_before, cpu_seconds(srv.proc.pid))
    if failures:
        raise BenchError(f"{len(failures)} of {count} flows failed, first: {failures[:3]}\n"
                         f"{srv.log_summary()}")
    return seconds, timings, delivered, cpu


async def landing_sessions(srv, links: list[str]) -> list[tuple[str, str]]:
    """Open each link once (not timed): the landing page needs the link's session cookie."""
    out = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as s:
        for i, link in enumerate(links):
            path = link.split("://", 1)[-1]
            async with s.get(srv.url + path[path.index("/"):], allow_redirects=False,
                             headers={"X-Forwarded-For": address_of(100_000 + i)}) as resp:
                out.append((resp.headers["Location"], resp.cookies["songda_sid"].value))
    return out


async def landing_peak(srv, sessions: list[tuple[str, str]], concurrency: int, seconds: float = 3.0) -> float:
    """Closed loop: as many landing pages as the server gives with ``concurrency`` in flight."""
    count = 0
    started = time.perf_counter()

    async def lane(k: int) -> None:
        nonlocal count
        http = Http(srv.url)
        try:
            while time.perf_counter() - started < seconds:
                landing, http.sid = sessions[(count + k) % len(sessions)]
                status, _, _ = await http.request("GET", landing)
                if status != 200:
                    raise BenchError(f"landing {landing}: HTTP {status}")
                count += 1
        finally:
            http.close()

    await asyncio.gather(*(lane(k) for k in range(concurrency)))
    return count / (time.perf_counter() - started)


async def landing_at_rate(srv, sessions: list[tuple[str, str]], rate: float, seconds: float) -> list[float]:
    """Open loop: request i starts at i / rate whatever the earlier ones are doing, so a slow server
    shows up as latency, not as a lower request rate (no coordinated omission)."""
    latencies: list[float] = []
    idle: list[Http] = []  # keep-alive connections between requests; a new one when none is free

    async def one(i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - start)))
        landing, sid = sessions[i % len(sessions)]
        http = idle.pop() if idle else Http(srv.url, timeout=30)
        http.sid = sid
        t0 = time.perf_counter()
        status, _, _ = await http.request("GET", landing)
        if status != 200:
            raise BenchError(f"landing {landing}: HTTP {status}")
        latencies.append(time.perf_counter() - t0)
        idle.append(http)

    # This client's own collector must not show up as the server's latency: a collection over
    # the thousands of scheduled requests pauses all of them at once (wrk, the tool, has
    # no collector).
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    try:
        await asyncio.gather(*(one(i, i / rate) for i in range(int(rate * seconds))))
    finally:
        gc.enable()
        for http in idle:
            http.close()
    return latencies


async def hello_peak(args, tmp: Path) -> float:
    argv = [sys.executable, str(ROOT / "bench" / "hello.py")]
    with server(argv, clean_env(tmp, ""), args.workers, tmp / "hello.log") as srv:
        async with aiohttp.ClientSession() as s:
            await wait_ready(s, srv, "/", warmup=50)
        count = 0
        started = time.perf_counter()

        async def lane() -> None:
            nonlocal count
            http = Http(srv.url)
            try:
                while time.perf_counter() - started < 3.0:
                    await http.request("GET", "/")
                    count += 1
            finally:
                http.close()

        await asyncio.gather(*(lane() for _ in range(args.concurrency)))
        return count / (time.perf_counter() - started)


async def seal_latencies(database_url: str, delivery_ids: list[int], timeout: float) -> list[float]:
    """Seconds from signature to sealed receipt, per delivery, once all are sealed."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            rows = await conn.fetch("SELECT s.signed_at, r.sealed_at FROM receipt r JOIN signature s "
                                    "ON s.delivery_id = r.delivery_id WHERE r.delivery_id = ANY($1::int[])",
                                    delivery_ids)
            if all(r["sealed_at"] for r in rows) and len(rows) == len(delivery_ids):
                return [(r["sealed_at"] - r["signed_at"]).total_seconds() for r in rows]
            if time.monotonic() > deadline:
                sealed = sum(1 for r in rows if r["sealed_at"])
                raise BenchError(f"{sealed} of {len(delivery_ids)} receipts sealed after {timeout:.0f} s")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


@contextmanager
def background_worker(wanted: bool, env: dict[str, str], log: Path, *, niced: bool = True):
    """One ``python -m app worker`` for notices, sealing and webhooks while the web processes only
    answer requests. ``--sealing separate`` runs it at the lowest CPU priority all along, standing
    in for a worker host that gets what the web tier leaves (on this box: little, at the peak)."""
    if not wanted:
        yield None
        return
    with open(log, "ab") as out:
        proc = subprocess.Popen([*(["nice", "-n", "19"] if niced else []), sys.executable, "-m", "app", "worker"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drain_elsewhere(env: dict[str, str], log: Path, delivered: list[int]) -> tuple[int, float, float]:
    """``--sealing elsewhere``: the receipts signed during the timed flows are sealed afterwards by
    one worker alone on the box, standing in for a sealing host with cores of its own. Returns
    (receipts, seconds, the worker's CPU seconds), counted from its first sealed receipt so that
    its start-up is left out."""
    conn = await asyncpg.connect(PG_BENCH_URL)
    try:
        async def sealed() -> int:
            return await conn.fetchval("SELECT count(*) FROM receipt WHERE sealed_at IS NOT NULL "
                                       "AND delivery_id = ANY($1::int[])", delivered)

        with background_worker(True, env, log, niced=False) as proc:
            deadline = time.monotonic() + 600
            while (first := await sealed()) == 0:
                if time.monotonic() > deadline:
                    raise BenchError("the worker sealed nothing in 600 s")
                await asyncio.sleep(0.02)
            started, cpu_before = time.perf_counter(), process_cpu(proc.pid)
            while (done := await sealed()) < len(delivered):
                if time.monotonic() > deadline:
                    raise BenchError(f"{done} of {len(delivered)} receipts sealed after 600 s")
                await asyncio.sleep(0.1)
            return done - first, time.perf_counter() - started, process_cpu(proc.pid) - cpu_before
    finally:
        await conn.close()


async def flush_redis(url: str) -> None:
    import redis.asyncio

    client = redis.asyncio.from_url(url)
    try:
        await client.flushdb()
    except (OSError, redis.RedisError) as exc:
        raise BenchError(f"Redis at {url}: {exc}") from exc
    finally:
        await client.aclose()


async def prepare_court(data_dir: Path, redis_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh bench database with one court and an API client: the server's environment and the
    client's Authorization header. As deployed: abuse counters in Redis (a database of its own,
    emptied: the phones and addresses repeat from run to run), behind a proxy that sets
    X-Forwarded-For."""
    await recreate_pg_database()
    env = clean_env(data_dir, PG_BENCH_URL)
    await flush_redis(redis_url)
    env.update(SONGDA_TRUSTED_PROXIES='["127.0.0.1"]', SONGDA_SMS_DAILY_BUDGET="10000000",
               SONGDA_PUBLIC_BASE_URL="http://bench.invalid", SONGDA_REDIS_URL=redis_url)
    run_cli(env, "migrate")
    run_cli(env, "create-court", "--code", "桂1202", "--name", "示范市城中区人民法院", "--phone", "0772-1234567")
    key = run_cli(env, "create-api-client", "--name", "bench", "--system", "trial",
                  "--court", "桂1202").strip().splitlines()[-1]
    return env, {"Authorization": f"Bearer {key}"}


async def main_async(args) -> int:
    with tempfile.TemporaryDirectory(prefix="songda-flow-") as tmp_name:
        tmp = Path(tmp_name)
        baseline = await hello_peak(args, tmp)
        try:
            env, auth = await prepare_court(tmp / "data", args.redis_url)
            outbox = Outbox(tmp / "data" / "dev-sms.jsonl")
            services = args.warmup + args.litigants + args.landing_links
            workers = args.workers
            if args.sealing != "inline":
                env["SONGDA_SERVE_BACKGROUND"] = "false"
            drained = None
            with server([sys.executable, "-m", "app", "serve"], env, workers, tmp / "server.log") as srv, \
                    background_worker(args.sealing == "separate", env, tmp / "worker.log"):
                ids = await upload_documents(srv, auth, args.documents)
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as s:
                    for body in bodies(args.warmup + args.litigants + args.landing_links, ids):
                        async with s.post(srv.url + "/court/api/v1/services", data=body,
                                          headers={**auth, "Content-Type": "application/json"}) as resp:
                            if resp.status != 201:
                                raise BenchError(f"intake: HTTP {resp.status} {await resp.text()}")
                if args.sealing == "elsewhere":
                    with background_worker(True, env, tmp / "worker.log", niced=False):
                        await wait_for_notices(outbox, services, timeout=300)
                else:
                    await wait_for_notices(outbox, services, timeout=300)
                async with aiohttp.ClientSession() as s:
                    await wait_ready(s, srv, READY_PATH, warmup=20)
                # Steady state, as a server runs: the first flows of a fresh server also pay for
                # one-off work (each pooled connection preparing each statement, PostgreSQL
                # planning them, templates compiling, the first page render).
                await flows(args, srv, outbox, 0, args.warmup)
                print(f"set-up done: {args.litigants} litigants (after {args.warmup} untimed), "
                      f"{args.documents} documents each", flush=True)
                gc.collect()
                gc.freeze()  # the set-up's objects stay: the client's collections skip them
                seconds, timings, delivered, cpu = await flows(args, srv, outbox, args.warmup, args.litigants)
                rate = args.litigants / seconds
                print(f"  {rate:.1f} flows/s; CPU s: " + ", ".join(
                    f"{k} {cpu[k]:.1f}" for k in ("server", "database", "client", "other")), flush=True)
                elsewhere = args.sealing == "elsewhere"
                seal = await seal_latencies(PG_BENCH_URL, delivered, timeout=300) if not elsewhere else []
                extra = [outbox.links[phone_of(n)] for n in range(args.warmup + args.litigants, services)]
                sessions = await landing_sessions(srv, extra)
                peak = await landing_peak(srv, sessions, args.concurrency)
                half = peak / 2
                landing = await landing_at_rate(srv, sessions, half, args.landing_seconds)
                if elsewhere:
                    drained = await drain_elsewhere(env, tmp / "worker.log", delivered)
        finally:
            with suppress(BenchError):
                await recreate_pg_database(create=False)
    requests_per_flow = sum(len(v) for v in timings.values()) / args.litigants
    print(f"\nPostgreSQL, {workers} workers, sealing {args.sealing}, {args.litigants} litigants, concurrency {args.concurrency}, "
          f"{args.documents} documents each, {os.cpu_count()} CPUs")
    print(f"hello-world baseline: {baseline:.0f} req/s with the same client\n")
    row = "| {:<22} | {:>7} | {:>8} | {:>8} |".format
    print(row("step", "count", "p50 ms", "p99 ms"))
    print(row("-" * 22, "-" * 7, "-" * 8, "-" * 8).replace(" ", "-"))
    for step in STEPS:
        values = timings.get(step, [])
        if values:
            print(row(step, len(values), f"{pct(values, .5):.1f}", f"{pct(values, .99):.1f}"))
    print(f"landing page peak (closed loop, {args.concurrency} in flight): {peak:.0f} req/s")
    print(row(f"landing @ {half:.0f}/s", len(landing), f"{pct(landing, .5):.1f}", f"{pct(landing, .99):.1f}"))
    if seal:
        print(row("sign → sealed receipt", len(seal), f"{pct(seal, .5):.0f}", f"{pct(seal, .99):.0f}"))
    if drained:
        receipts, seconds, worker_cpu = drained
        print(f"sealing elsewhere: {receipts} receipts sealed afterwards in {seconds:.1f} s by one worker "
              f"({receipts / seconds:.1f}/s, {1000 * worker_cpu / receipts:.1f} ms of CPU each: "
              f"{rate * worker_cpu / receipts:.1f} cores keep up with {rate:.1f} flows/s, "
              f"{100 * worker_cpu / receipts:.1f} with 100)")
    http_rate = rate * requests_per_flow
    print(f"\nflows/s: {rate:.1f} ({requests_per_flow:.1f} requests a flow = {http_rate:.0f} req/s, "
          f"ratio to hello-world {http_rate / baseline:.3f})")
    flows_ok = rate >= FLOOR_FLOWS_PER_SECOND
    p99_ok = pct(landing, .99) < FLOOR_LANDING_P99_MS
    met = flows_ok and p99_ok
    print(f"floor {FLOOR_FLOWS_PER_SECOND:.0f} flows/s: {'met' if flows_ok else 'NOT MET'}; "
          f"landing p99 < {FLOOR_LANDING_P99_MS:.0f} ms: {'met' if p99_ok else 'NOT MET'}")
    if seal:
        print(f"receipts sealed within 5 s of signing: {sum(1 for v in seal if v <= 5) / len(seal):.0%}")
    return 0 if met else 2


def main() -> int:
    parser = argparse.ArgumentParser(description="SMS-link litigant flows against a running server")
    parser.add_argument("--litigants", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32, help="litigants in flight")
    parser.add_argument("--warmup", type=int, default=64, help="untimed flows first (0: time a cold server)")
    parser.add_argument("--documents", type=int, default=1, help="documents per service")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sealing", choices=("inline", "separate", "elsewhere"), default="inline",
                        help="inline: the web processes' background loop seals (one host); "
                             "separate: a niced `python -m app worker` does, on the same cores; "
                             "elsewhere: no worker runs during the timed part, the receipts are "
                             "sealed afterwards and that cost reported (a sealing host of its own)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="emptied first")
    parser.add_argument("--landing-seconds", type=float, default=10)
    parser.add_argument("--landing-links", type=int, default=200, help="extra links for the landing run")
    args = parser.parse_args()
    # The client's CPU comes out of the same two cores (module docstring): uvloop, as the server
    # runs, makes its streams cheaper. The hello-world baseline uses the same client.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return run_bench(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
