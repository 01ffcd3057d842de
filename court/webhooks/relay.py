"""Send queued webhooks: claim, sign, POST, then complete, retry or give up.

At least once: a relay that dies after a POST and before its batch is completed leaves the jobs
to be claimed again when their lease runs out, and the retry carries the same ``webhook-id``
(the job's dedupe key) so the receiver can drop the duplicate. Order is not guaranteed across
events. Every attempt is logged in ``webhook_attempt`` (one multi-row insert per pass); the
OutboxJob row keeps the attempt count and last error.

One slow or failing receiver must not hold up the others (nor, in its own consumer lane, sealing
or notices): each endpoint gets at most ``ENDPOINT_SLOTS`` requests in flight per process, a
request ends after ``SEND_DEADLINE`` whatever the receiver does, and the consumer's handler waits
``PATIENCE`` for a batch: jobs still waiting for their endpoint's slot then go back to the outbox
for later (the attempt not counted), and requests still in flight finish in the background, so
the lane claims the next batch, other endpoints' jobs included.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace

import aiohttp
import httpx
from tortoise.expressions import F

from core.errors import ValidationFailed
from core.settings import Settings
from court.models import ApiClient, AttemptOutcome, WebhookAttempt
from court.webhooks.signing import signed_headers
from court.webhooks.subscriptions import disable_webhook, remove_webhook, webhook_secret
from court.webhooks.url_policy import PolicyResolver, check_webhook_url_async
from jobs.consumer import run_batch
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import claim, close
from jobs.registry import JobContext, JobType, RetryRule

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LEASE = timedelta(seconds=60)          # > TIMEOUT, so a live send is never claimed twice
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)      # Standard Webhooks' suggested retry window
USER_AGENT = "songda-webhooks/1"
ENDPOINT_SLOTS = 16                    # requests in flight to one endpoint, per process
SEND_DEADLINE = 15.0                   # seconds, a whole request (connect + a trickling answer)
PATIENCE = 1.0                         # seconds the consumer's handler waits for a batch
BUSY_DEFER = timedelta(seconds=5)      # a job whose endpoint had no free slot comes back after this


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's API over aiohttp's connection pool.

    httpx's own pool slows down sharply with many requests in flight (encode/httpx#3215): on
    the dev box, 50 concurrent POSTs ran at ~190/s against ~800/s one at a time, while aiohttp
    holds ~2,000/s. The relay keeps httpx's interface (tests pass plain httpx clients and
    MockTransport) and this transport maps aiohttp's errors onto httpx's.
    """

    def __init__(self, *, max_connections: int = 100, allow_private: bool = False) -> None:
        self._max_connections = max_connections
        self._allow_private = allow_private
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:  # created lazily: it must belong to the running loop
            resolver = PolicyResolver(allow_private=self._allow_private)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, resolver=resolver),
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        t = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=t.get("connect"), sock_read=t.get("read"))
        try:
            async with self._session_now().request(
                    request.method, str(request.url), headers=request.headers, data=request.content,
                    allow_redirects=False, timeout=timeout) as response:
                content = await response.read()
                return httpx.Response(response.status, headers=list(response.raw_headers),
                                      content=content, request=request)
        except aiohttp.ConnectionTimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "connect timeout", request=request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "read timeout", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.NetworkError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def webhook_http_client(max_connections: int = 100, *, allow_private: bool = False) -> httpx.AsyncClient:
    """The client the background loop keeps for the life of the process (connection reuse)."""
    transport = AiohttpTransport(max_connections=max_connections, allow_private=allow_private)
    return httpx.AsyncClient(transport=transport, timeout=TIMEOUT,
                             follow_redirects=False, headers={"user-agent": USER_AGENT})


def body_of(job: OutboxJob) -> bytes:
    payload = {k: v for k, v in job.payload.items() if k != "client_id"}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def _failed(job: OutboxJob, target: _Target, error: str, ctx: JobContext) -> AttemptOutcome:
    if await ctx.retry(job, error):
        return AttemptOutcome.RETRY
    await disable_webhook(target.client_id, url=target.url, now=ctx.now,
                          reason=f"failing for over {GIVE_UP_AFTER.days} days: {error}")
    return AttemptOutcome.GAVE_UP


@dataclass(frozen=True)
class _Target:
    """One client a batch's jobs are for, resolved once per pass."""

    client_id: int
    court_id: int
    url: str
    secret: str = field(repr=False)
    url_problem: str | None = None
    closed: str | None = None  # why its jobs are closed without a request


async def _targets(jobs: list[OutboxJob], allow_private: bool, settings: Settings) -> dict[int, _Target]:
    ids = {job.payload.get("client_id") for job in jobs}
    targets = {}
    checked: dict[str, str | None] = {}
    for client in await ApiClient.filter(id__in=ids):
        if not (client.active and client.webhook_url and client.webhook_secret_cipher):
            targets[client.id] = _Target(client.id, client.court_id, "", "", closed="subscription removed")
            continue
        if client.webhook_disabled_at is not None:
            targets[client.id] = _Target(client.id, client.court_id, client.webhook_url, "", closed="webhook disabled")
            continue
        if client.webhook_url not in checked:
            try:
                # Checked again at send time: DNS may have changed since the URL was set.
                await check_webhook_url_async(client.webhook_url, allow_private=allow_private)
                checked[client.webhook_url] = None
            except ValidationFailed as exc:
                checked[client.webhook_url] = f"url refused: {exc.message}"
        try:
            secret = webhook_secret(client, settings)
        except Exception:  # a key rotated away: this client waits, the others are sent
            log.error("api client %s webhook secret cannot be decrypted", client.id)
            targets[client.id] = _Target(client.id, client.court_id, client.webhook_url, "", "secret unreadable")
            continue
        targets[client.id] = _Target(client.id, client.court_id, client.webhook_url, secret,
                                     checked[client.webhook_url])
    return targets


def _attempt(job: OutboxJob, target: _Target, now: datetime, started: float, outcome: AttemptOutcome, *,
             status: int | None = None, error: str = "") -> WebhookAttempt:
    return WebhookAttempt(
        job_id=job.id, court_id=target.court_id, api_client_id=target.client_id, event_id=job.event_id,
        event_type=str(job.payload.get("type", ""))[:40], webhook_id=job.dedupe_key, attempt=job.attempts,
        started_at=now, duration_ms=int((time.monotonic() - started) * 1000), http_status=status,
        error=error[:200], outcome=outcome)


async def _send(job: OutboxJob, target: _Target | None, ctx: JobContext) -> tuple[bool, WebhookAttempt | None]:
    """POST one job. True on 2xx (the caller completes the batch); otherwise the job is
    already retried, closed or given up here. Also returns the attempt to log."""
    now, http_client = ctx.now, ctx.providers.webhook_http
    started = time.monotonic()
    if target is None or target.closed:
        reason = target.closed if target else "subscription removed"
        await close(job, reason, now=now)
        # A client row that no longer exists has no court to file the line under.
        return False, target and _attempt(job, target, now, started, AttemptOutcome.GAVE_UP, error=reason)
    if target.url_problem:
        outcome = await _failed(job, target, target.url_problem, ctx)
        if outcome is AttemptOutcome.RETRY and target.url_problem.startswith("url refused"):
            outcome = AttemptOutcome.REFUSED
        return False, _attempt(job, target, now, started, outcome, error=target.url_problem)
    body = body_of(job)
    headers = {"content-type": "application/json", **signed_headers(target.secret, job.dedupe_key, now, body)}
    try:
        async with asyncio.timeout(SEND_DEADLINE):
            response = await http_client.post(target.url, content=body, headers=headers)
    except (httpx.TimeoutException, TimeoutError):
        return False, _attempt(job, target, now, started, await _failed(job, target, "timeout", ctx), error="timeout")
    except httpx.HTTPError as exc:
        error = type(exc).__name__  # the class only: messages can carry addresses
        return False, _attempt(job, target, now, started, await _failed(job, target, error, ctx), error=error)
    status = response.status_code
    if 200 <= status < 300:
        return True, _attempt(job, target, now, started, AttemptOutcome.DELIVERED, status=status)
    if status == 410:
        # 410 Gone: the receiver asks us to stop (Standard Webhooks).
        await close(job, "410 gone: subscription removed", now=now)
        await remove_webhook(target.client_id, url=target.url, reason="receiver answered 410")
        return False, _attempt(job, target, now, started, AttemptOutcome.GONE, status=status,
                               error="410 gone: subscription removed")
    error = f"HTTP {status}"
    return False, _attempt(job, target, now, started, await _failed(job, target, error, ctx),
                           status=status, error=error)


class EndpointSlots:
    """At most ``ENDPOINT_SLOTS`` requests in flight per endpoint URL, for one HTTP client (one
    per process: the relay's)."""

    def __init__(self, size: int = ENDPOINT_SLOTS) -> None:
        self.size = size
        self._slots: dict[str, asyncio.Semaphore] = {}

    def of(self, url: str) -> asyncio.Semaphore:
        if url not in self._slots:
            self._slots[url] = asyncio.Semaphore(self.size)
        return self._slots[url]


_slots_of_client: weakref.WeakKeyDictionary[httpx.AsyncClient, EndpointSlots] = weakref.WeakKeyDictionary()
_finishing: set[asyncio.Task] = set()  # batches' stragglers, held until they are recorded


def endpoint_slots(http_client: httpx.AsyncClient) -> EndpointSlots:
    if http_client not in _slots_of_client:
        _slots_of_client[http_client] = EndpointSlots()
    return _slots_of_client[http_client]


_DEFERRED = (False, None)


async def _defer(job: OutboxJob, now: datetime) -> None:
    """Back to the outbox for later, as if never claimed: no request was made."""
    await OutboxJob.filter(id=job.id, done_at__isnull=True).update(
        locked_until=None, available_at=now + BUSY_DEFER, attempts=F("attempts") - 1)


async def _send_in_slot(job: OutboxJob, target: _Target | None, ctx: JobContext,
                        patience: float | None) -> tuple[bool, WebhookAttempt | None]:
    if target is None or target.closed or target.url_problem:
        return await _send(job, target, ctx)  # no request: no slot needed
    slot = endpoint_slots(ctx.providers.webhook_http).of(target.url)
    if patience is None:
        await slot.acquire()
    else:
        try:
            await asyncio.wait_for(slot.acquire(), patience)
        except TimeoutError:  # the endpoint's slots are all taken (a slow receiver): later
            await _defer(job, ctx.now)
            return _DEFERRED
    try:
        return await _send(job, target, ctx)
    finally:
        slot.release()


async def _record(jobs: list[OutboxJob], results: list, now: datetime) -> int:
    """Log the attempts and complete the delivered jobs, in one statement each."""
    delivered = [job.id for job, result in zip(jobs, results)
                 if not isinstance(result, BaseException) and result[0]]
    attempts = [result[1] for result in results if not isinstance(result, BaseException) and result[1]]
    if attempts:
        # One statement for the whole batch's log lines (the log must not cost a round trip each).
        await WebhookAttempt.bulk_create(attempts)
    if delivered:
        # outbox.complete, for the whole batch at once: a relay dying before this line makes
        # the batch's receivers see duplicates, with the same webhook-id.
        await OutboxJob.filter(id__in=delivered).update(done_at=now, locked_until=None, last_error="")
    for job, result in zip(jobs, results):
        if isinstance(result, BaseException):
            # Left locked: the lease expires and a later pass retries it.
            log.error("webhook job %s failed unexpectedly: %s", job.id, type(result).__name__)
    return len(delivered)


async def _finish(jobs: list[OutboxJob], tasks: list[asyncio.Task], now: datetime) -> None:
    results = await asyncio.gather(*tasks, return_exceptions=True)
    try:
        await _record(jobs, results, now)
    except Exception:  # left locked: the lease expires and a later pass retries them
        log.exception("webhook attempts of %d slow jobs could not be recorded", len(jobs))


def _outcome(task: asyncio.Task):
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception() or task.result()


async def send_webhook_batch(jobs: list[OutboxJob], ctx: JobContext, *, patience: float | None = None) -> int:
    """The handler: send a claimed batch concurrently (at most ``ENDPOINT_SLOTS`` per endpoint),
    complete the delivered ones in one statement. Returns how many were delivered (2xx).

    With ``patience`` (the consumer's lane), it returns after that many seconds: jobs still
    waiting for a slot are deferred, requests still in flight are recorded when they end."""
    now = ctx.now
    targets = await _targets(jobs, ctx.settings.webhook_allow_private, ctx.settings)
    tasks = [asyncio.ensure_future(_send_in_slot(job, targets.get(job.payload.get("client_id")), ctx, patience))
             for job in jobs]
    if tasks:
        # With patience, every job still waiting for a slot gives up at ``patience``: a little
        # more covers its defer.
        await asyncio.wait(tasks, timeout=None if patience is None else patience + 0.2)
    ended = [task.done() for task in tasks]
    results = [_outcome(task) for task, done in zip(tasks, ended) if done]
    if not all(ended):
        late = [(job, task) for job, task, done in zip(jobs, tasks, ended) if not done]
        finishing = asyncio.create_task(_finish([job for job, _ in late], [task for _, task in late], now))
        _finishing.add(finishing)
        finishing.add_done_callback(_finishing.discard)
    done_jobs = [job for job, done in zip(jobs, ended) if done]
    return await _record(done_jobs, results, now)


_RETRY = RetryRule(base=RETRY_BASE, cap=RETRY_CAP, give_up_after=GIVE_UP_AFTER)
# The consumer's lane: two tasks, each handing a batch at most PATIENCE before claiming the next.
WEBHOOK_JOBS = JobType(JobKind.WEBHOOK, partial(send_webhook_batch, patience=PATIENCE), batch=50, lease=LEASE,
                       retry=_RETRY, concurrency=2)
# One pass that waits for every request (deliver_webhooks: tests, bench/outbox.py).
_WHOLE_BATCH = JobType(JobKind.WEBHOOK, send_webhook_batch, batch=50, lease=LEASE, retry=_RETRY)


async def deliver_webhooks(*, worker_id: str, now: datetime, http_client: httpx.AsyncClient, settings: Settings,
                           limit: int = 50, allow_private: bool = False, claim_jobs=claim) -> int:
    """One pass now, through the consumer's path (tests, bench/outbox.py): claim up to ``limit``
    due jobs and send them. ``claim_jobs`` has ``jobs.outbox.claim``'s signature (the bench
    tries a set-based one)."""
    settings = settings.model_copy(update={"webhook_allow_private": allow_private or settings.webhook_allow_private})
    ctx = JobContext(SimpleNamespace(webhook_http=http_client), settings, worker_id, now)
    _, delivered = await run_batch(_WHOLE_BATCH, ctx, limit=limit, claim_jobs=claim_jobs)
    return delivered
