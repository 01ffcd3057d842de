"""Send queued webhooks: claim, sign, POST, then complete, retry or give up.

At least once: a relay that dies after a POST and before its batch is completed leaves the jobs
to be claimed again when their lease runs out, and the retry carries the same ``webhook-id``
(the job's dedupe key) so the receiver can drop the duplicate. Order is not guaranteed across
events. Attempts and the last error live on the OutboxJob row (there is no per-attempt log).
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import httpx

from app.errors import ValidationFailed
from court.models import ApiClient
from court.webhooks.signing import signed_headers
from court.webhooks.subscriptions import remove_webhook, webhook_secret
from court.webhooks.url_policy import PolicyResolver, check_webhook_url_async
from documents.choices import JobKind
from documents.models import OutboxJob
from documents.outbox import claim, fail

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LEASE = timedelta(seconds=60)          # > TIMEOUT, so a live send is never claimed twice
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)      # Standard Webhooks' suggested retry window
USER_AGENT = "songda-webhooks/1"


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
        except asyncio.TimeoutError as exc:
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


async def _finish(job: OutboxJob, now: datetime, note: str) -> None:
    """Done without success: kept with its reason for the console."""
    await OutboxJob.filter(id=job.id).update(done_at=now, locked_until=None, last_error=note[:1000])


async def _failed(job: OutboxJob, target: "_Target", error: str, now: datetime) -> None:
    if now - job.created_at > GIVE_UP_AFTER:
        await _finish(job, now, f"gave up after {job.attempts} attempts: {error}")
        await remove_webhook(target.client_id, url=target.url, reason=f"failing for over {GIVE_UP_AFTER.days} days")
        return
    await fail(job, error, now=now, base=RETRY_BASE, cap=RETRY_CAP)


@dataclass(frozen=True)
class _Target:
    """One subscribed client, resolved once per pass."""

    client_id: int
    url: str
    secret: str = field(repr=False)
    url_problem: str | None = None


async def _targets(jobs: list[OutboxJob], allow_private: bool) -> dict[int, _Target]:
    ids = {job.payload.get("client_id") for job in jobs}
    targets = {}
    checked: dict[str, str | None] = {}
    for client in await ApiClient.filter(id__in=ids, active=True, webhook_url__isnull=False,
                                         webhook_secret_cipher__isnull=False):
        if not client.webhook_url:
            continue
        if client.webhook_url not in checked:
            try:
                # Checked again at send time: DNS may have changed since the URL was set.
                await check_webhook_url_async(client.webhook_url, allow_private=allow_private)
                checked[client.webhook_url] = None
            except ValidationFailed as exc:
                checked[client.webhook_url] = f"url refused: {exc.message}"
        try:
            secret = webhook_secret(client)
        except Exception:  # a key rotated away: this client waits, the others are sent
            log.error("api client %s webhook secret cannot be decrypted", client.id)
            targets[client.id] = _Target(client.id, client.webhook_url, "", "secret unreadable")
            continue
        targets[client.id] = _Target(client.id, client.webhook_url, secret, checked[client.webhook_url])
    return targets


async def _send(job: OutboxJob, target: _Target | None, *, now: datetime, http_client: httpx.AsyncClient) -> bool:
    """POST one job. True on 2xx (the caller completes the batch); otherwise the job is
    already retried, closed or given up here."""
    if target is None:
        await _finish(job, now, "subscription removed")
        return False
    if target.url_problem:
        await _failed(job, target, target.url_problem, now)
        return False
    body = body_of(job)
    headers = {"content-type": "application/json", **signed_headers(target.secret, job.dedupe_key, now, body)}
    try:
        response = await http_client.post(target.url, content=body, headers=headers)
    except httpx.TimeoutException:
        await _failed(job, target, "timeout", now)
        return False
    except httpx.HTTPError as exc:
        await _failed(job, target, type(exc).__name__, now)
        return False
    if 200 <= response.status_code < 300:
        return True
    if response.status_code == 410:
        # 410 Gone: the receiver asks us to stop (Standard Webhooks).
        await _finish(job, now, "410 gone: subscription removed")
        await remove_webhook(target.client_id, url=target.url, reason="receiver answered 410")
        return False
    await _failed(job, target, f"HTTP {response.status_code}", now)
    return False


async def deliver_webhooks(*, worker_id: str, now: datetime, http_client: httpx.AsyncClient,
                           limit: int = 50, allow_private: bool = False, claim_jobs=claim) -> int:
    """One pass: claim up to ``limit`` due jobs, send them concurrently, complete the delivered
    ones in one statement. Returns how many were delivered (2xx). ``claim_jobs`` has
    ``documents.outbox.claim``'s signature (bench/outbox.py tries a set-based one)."""
    jobs = await claim_jobs(JobKind.WEBHOOK, worker_id=worker_id, now=now, lease=LEASE, limit=limit)
    if not jobs:
        return 0
    targets = await _targets(jobs, allow_private)
    results = await asyncio.gather(*(
        _send(job, targets.get(job.payload.get("client_id")), now=now, http_client=http_client)
        for job in jobs), return_exceptions=True)
    delivered = [job.id for job, result in zip(jobs, results) if result is True]
    if delivered:
        # outbox.complete, for the whole batch at once: a relay dying before this line makes
        # the batch's receivers see duplicates, with the same webhook-id.
        await OutboxJob.filter(id__in=delivered).update(done_at=now, locked_until=None, last_error="")
    for job, result in zip(jobs, results):
        if isinstance(result, BaseException):
            # Left locked: the lease expires and a later pass retries it.
            log.error("webhook job %s failed unexpectedly: %s", job.id, type(result).__name__)
    return len(delivered)
