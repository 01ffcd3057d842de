"""Abuse limits (限流): fixed-window counters and cooldowns behind one interface.

Two backends do the same thing: Redis (production, shared by every host) and the
``rate_counter`` table (dev and single-host installs). Both are atomic under concurrency and
both take ``now`` from the caller, so tests control time instead of sleeping.

Windows are aligned to China Standard Time (UTC+8, no daylight saving), so a daily window
starts at 北京时间 midnight, the day an SMS budget is counted in. Hour windows are unaffected.

A denied hit is not counted: a counter stops at its limit instead of growing with every
refused request, so ``count`` never exceeds ``limit`` and a flood costs one read per request.

When Redis cannot be reached, a decision fails (ConnectionError: the app answers 503), except for
hits the caller marked ``local_fallback=True``: those are counted in this process instead
(``LocalLimitBackend``) until Redis answers again. Only limits whose purpose survives being
counted per process may be marked (the short-link lookup limit, which slows down guessing a
131-bit token); code sending, logins and other limits that guard money or identity stay closed.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.errors import AppError
from core.outages import outages
from identity.clock import utc
from identity.models import RateCounter

if TYPE_CHECKING:
    import redis.asyncio

    from core.settings import Settings

__all__ = [
    "DatabaseLimitBackend",
    "LimitBackend",
    "LimitResult",
    "LocalLimitBackend",
    "Hit",
    "Claim",
    "RateLimited",
    "RedisLimitBackend",
    "build_limit_backend",
]

REDIS_PREFIX = "songda:limit:"
# A request waits this long for a free pooled Redis connection before giving up (503).
REDIS_POOL_TIMEOUT_SECONDS = 5.0
# An unreachable Redis must fail fast: every waiting request holds a client.
REDIS_SOCKET_TIMEOUT_SECONDS = 2.0
_CST_OFFSET_MS = 8 * 3600 * 1000  # windows start at Beijing midnight / on the hour
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class RateLimited(AppError):
    """429: too many requests; ``details["retry_after"]`` says how many seconds to wait (sent as
    the ``Retry-After`` header too). Pass ``retry_after=`` (a ``LimitResult``'s) to set it."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, code: str | None = None, details: object = None,
                 retry_after: int | None = None) -> None:
        if retry_after is not None:
            details = {**(details if isinstance(details, dict) else {}), "retry_after": retry_after}
        super().__init__(message, code=code, details=details)


@dataclass(frozen=True)
class LimitResult:
    allowed: bool
    count: int        # hits counted in the current window (claims: 1 while cooling down)
    limit: int
    retry_after: int  # whole seconds until a hit can be allowed again; 0 when allowed


@dataclass(frozen=True)
class Hit:
    """One hit in the fixed window holding ``now`` (see ``LimitBackend.hit``)."""

    key: str
    limit: int
    window: timedelta
    local_fallback: bool = False  # counted in-process while Redis is unreachable (module doc)


@dataclass(frozen=True)
class Claim:
    """A cooldown claim (see ``LimitBackend.claim``)."""

    key: str
    period: timedelta
    local_fallback: bool = False


@runtime_checkable
class LimitBackend(Protocol):
    async def hit(self, key: str, limit: int, window: timedelta, *, now: datetime,
                  local_fallback: bool = False) -> LimitResult:
        """Count one hit in the fixed window holding ``now``; denied (and not counted) at ``limit``.
        ``local_fallback``: counted in this process while a shared backend is unreachable."""
        ...

    async def peek(self, key: str, limit: int, window: timedelta, *, now: datetime) -> LimitResult:
        """What ``hit`` would decide, without counting anything."""
        ...

    async def claim(self, key: str, period: timedelta, *, now: datetime) -> LimitResult:
        """Allow once per ``period`` measured from the last allowed claim (a cooldown).

        Unlike a one-hit fixed window, two claims are never allowed closer than ``period``.
        """
        ...

    async def spend(self, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
        """Hits and claims in order, stopping at the first refusal: the results up to and
        including it, so a refused step leaves the later ones unspent."""
        ...


# --- window arithmetic shared by both backends ------------------------------------------

def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _window_ms(window: timedelta) -> int:
    ms = window // timedelta(milliseconds=1)
    if ms < 1000:
        raise ValueError("a limit window must be at least one second")
    return ms


def _window(now: datetime, window: timedelta) -> tuple[int, int]:
    """(window number, milliseconds left in it) for the window holding ``now``."""
    size = _window_ms(window)
    shifted = _ms(now) + _CST_OFFSET_MS
    number = shifted // size
    return number, (number + 1) * size - shifted


def _seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000))


def _window_key(key: str, window: timedelta, number: int) -> str:
    # The window length is part of the key so "phone:x" per hour and per day never share a count.
    return f"{key}:{_window_ms(window) // 1000}s:{number}"


def _result(allowed: bool, count: int, limit: int, left_ms: int) -> LimitResult:
    return LimitResult(allowed, count, limit, 0 if allowed else _seconds(left_ms))


# --- Redis -------------------------------------------------------------------------------

# Every decision, single or several (``spend``), is this one script: four arguments a step, in
# order, stopping at the first refusal, in one round trip (a code request spends six limits: six
# round trips cost more than the rest of the request, docs/PERFORMANCE.md). All keys of one call must live on one Redis node (a
# single server, or one hash slot on a cluster).
# A hit reads first so that a denied hit is not counted; INCR + PEXPIRE on the first hit. The
# expiry is cleanup only: the window number in the key decides correctness, whatever the clock.
# A claim's value is the end of the cooldown in epoch milliseconds, compared with the caller's now.
_SPEND = """
local out = {}
for i = 1, #KEYS do
  local kind, a, b = ARGV[i * 4 - 3], tonumber(ARGV[i * 4 - 2]), tonumber(ARGV[i * 4 - 1])
  local c = tonumber(ARGV[i * 4])
  if kind == 'hit' then
    local count = tonumber(redis.call('GET', KEYS[i]) or '0')
    if count >= a then out[i] = {0, count}; return out end
    count = redis.call('INCR', KEYS[i])
    if count == 1 then redis.call('PEXPIRE', KEYS[i], b) end
    out[i] = {1, count}
  else
    local ends = tonumber(redis.call('GET', KEYS[i]) or '0')
    if ends > a then out[i] = {0, ends - a}; return out end
    redis.call('SET', KEYS[i], a + b, 'PX', c)
    out[i] = {1, 0}
  end
end
return out
"""


class RedisLimitBackend:
    """Counters in Redis under ``songda:limit:``; each decision is one atomic Lua script."""

    def __init__(self, client: redis.asyncio.Redis, *, local: LocalLimitBackend | None = None) -> None:
        self._redis = client
        self._spend = client.register_script(_SPEND)
        self._local = local or LocalLimitBackend()

    async def spend(self, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
        try:
            results = await self._spend_in_redis(steps, now=now)
        except _redis_unreachable() as exc:
            outages.down("redis", exc)
            if steps and all(step.local_fallback for step in steps):
                return await self._local.spend(steps, now=now)
            raise
        outages.up("redis")
        return results

    async def _spend_in_redis(self, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
        keys: list[str] = []
        args: list[object] = []
        lefts: list[int] = []
        for step in steps:
            if isinstance(step, Hit):
                number, left_ms = _window(now, step.window)
                keys.append(REDIS_PREFIX + _window_key(step.key, step.window, number))
                # Kept twice the window: outlives it even when tests run ahead of the real clock.
                args += ["hit", step.limit, 2 * _window_ms(step.window), 0]
                lefts.append(left_ms)
            else:
                period_ms = _window_ms(step.period)
                keys.append(REDIS_PREFIX + "claim:" + step.key)
                args += ["claim", _ms(now), period_ms, 2 * period_ms]
                lefts.append(0)
        results = []
        for step, left_ms, (allowed, value) in zip(steps, lefts, await self._spend(keys=keys, args=args)):
            if isinstance(step, Hit):
                results.append(_result(bool(allowed), int(value), step.limit, left_ms))
            else:
                results.append(_result(bool(allowed), 1, 1, int(value)))
        return results

    async def hit(self, key: str, limit: int, window: timedelta, *, now: datetime,
                  local_fallback: bool = False) -> LimitResult:
        return (await self.spend([Hit(key, limit, window, local_fallback)], now=now))[0]

    async def peek(self, key: str, limit: int, window: timedelta, *, now: datetime) -> LimitResult:
        number, left_ms = _window(now, window)
        try:
            count = int(await self._redis.get(REDIS_PREFIX + _window_key(key, window, number)) or 0)
        except _redis_unreachable() as exc:
            outages.down("redis", exc)
            raise
        outages.up("redis")
        return _result(count < limit, count, limit, left_ms)

    async def claim(self, key: str, period: timedelta, *, now: datetime) -> LimitResult:
        return (await self.spend([Claim(key, period)], now=now))[0]


# --- database ----------------------------------------------------------------------------

# One atomic statement. The WHERE on DO UPDATE leaves a full counter alone, so a denied hit returns no row.
_UPSERT_HIT = (
    'INSERT INTO "rate_counter" ("key", "count", "expires_at") VALUES ($1, 1, $2) '
    'ON CONFLICT ("key") DO UPDATE SET "count" = "rate_counter"."count" + 1 '
    'WHERE "rate_counter"."count" < $3 RETURNING "count"'
)
# A claim takes the row over only once its previous cooldown has ended.
_UPSERT_CLAIM = (
    'INSERT INTO "rate_counter" ("key", "count", "expires_at") VALUES ($1, 1, $2) '
    'ON CONFLICT ("key") DO UPDATE SET "count" = "rate_counter"."count" + 1, '
    '"expires_at" = excluded."expires_at" '
    'WHERE "rate_counter"."expires_at" <= $3 RETURNING "count"'
)


async def spend_in_turn(backend, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
    """``spend`` for backends without an atomic script: each step in order, stopping at the
    first refusal (what the Redis script does in one round trip)."""
    results = []
    for step in steps:
        if isinstance(step, Hit):
            results.append(await backend.hit(step.key, step.limit, step.window, now=now))
        else:
            results.append(await backend.claim(step.key, step.period, now=now))
        if not results[-1].allowed:
            break
    return results


class DatabaseLimitBackend:
    """Counters in the ``rate_counter`` table; rows whose window has passed are deleted as we go."""

    async def spend(self, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
        return await spend_in_turn(self, steps, now=now)

    async def hit(self, key: str, limit: int, window: timedelta, *, now: datetime,
                  local_fallback: bool = False) -> LimitResult:
        # local_fallback: nothing to fall back from (without the database no page works anyway).
        number, left_ms = _window(now, window)
        ends = utc(now) + timedelta(milliseconds=left_ms)
        rows = await self._upsert(_UPSERT_HIT, _window_key(key, window, number), ends, limit)
        if not rows:
            return _result(False, limit, limit, left_ms)
        count = int(rows[0]["count"])
        if count == 1:
            await self._sweep(now)  # once per new counter: bounded work, no cron needed
        return _result(True, count, limit, left_ms)

    async def peek(self, key: str, limit: int, window: timedelta, *, now: datetime) -> LimitResult:
        number, left_ms = _window(now, window)
        row = await RateCounter.get_or_none(key=_window_key(key, window, number))
        count = row.count if row else 0
        return _result(count < limit, count, limit, left_ms)

    async def claim(self, key: str, period: timedelta, *, now: datetime) -> LimitResult:
        key = "claim:" + key
        period_ms = _window_ms(period)
        rows = await self._upsert(_UPSERT_CLAIM, key, utc(now) + period, utc(now))
        if rows:
            if int(rows[0]["count"]) == 1:
                await self._sweep(now)
            return _result(True, 1, 1, 0)
        row = await RateCounter.get_or_none(key=key)
        left_ms = (row.expires_at - now) // timedelta(milliseconds=1) if row else period_ms
        return _result(False, 1, 1, left_ms)

    @staticmethod
    async def _upsert(template: str, key: str, expires_at: datetime, third: object) -> list[dict]:
        # execute_query_dict: asyncpg's execute_query drops the rows of an INSERT … RETURNING.
        return await RateCounter._meta.db.execute_query_dict(template, [key, expires_at, third])

    @staticmethod
    async def _sweep(now: datetime) -> None:
        await RateCounter.filter(expires_at__lte=utc(now)).delete()


def _redis_unreachable() -> tuple[type[Exception], ...]:
    import redis.exceptions  # imported by now: a RedisLimitBackend holds a client

    # ConnectionError covers a refused or dropped connection and an exhausted pool's wait.
    return redis.exceptions.ConnectionError, redis.exceptions.TimeoutError


# --- in-process --------------------------------------------------------------------------

class LocalLimitBackend:
    """Counters in this process's memory: the stand-in for ``local_fallback`` hits while Redis is
    unreachable (per process, so N processes allow up to N times the limit), and a test double."""

    MAX_KEYS = 100_000  # past this, expired counters are dropped before adding another

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (count or cooldown end, expiry ms)

    def _get(self, key: str, now_ms: int) -> int:
        value, expires = self._counts.get(key, (0, 0))
        return value if expires > now_ms else 0

    def _set(self, key: str, value: int, expires_ms: int, now_ms: int) -> None:
        if key not in self._counts and len(self._counts) >= self.MAX_KEYS:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now_ms}
        self._counts[key] = (value, expires_ms)

    async def spend(self, steps: Sequence[Hit | Claim], *, now: datetime) -> list[LimitResult]:
        return await spend_in_turn(self, steps, now=now)

    async def hit(self, key: str, limit: int, window: timedelta, *, now: datetime,
                  local_fallback: bool = False) -> LimitResult:
        number, left_ms = _window(now, window)
        key, now_ms = _window_key(key, window, number), _ms(now)
        count = self._get(key, now_ms)
        if count >= limit:
            return _result(False, count, limit, left_ms)
        self._set(key, count + 1, now_ms + left_ms, now_ms)
        return _result(True, count + 1, limit, left_ms)

    async def peek(self, key: str, limit: int, window: timedelta, *, now: datetime) -> LimitResult:
        number, left_ms = _window(now, window)
        count = self._get(_window_key(key, window, number), _ms(now))
        return _result(count < limit, count, limit, left_ms)

    async def claim(self, key: str, period: timedelta, *, now: datetime) -> LimitResult:
        key, now_ms, period_ms = "claim:" + key, _ms(now), _window_ms(period)
        ends = self._get(key, now_ms)
        if ends > now_ms:
            return _result(False, 1, 1, ends - now_ms)
        self._set(key, now_ms + period_ms, now_ms + period_ms, now_ms)
        return _result(True, 1, 1, 0)


def redis_client(url: str, *, max_connections: int = 50) -> redis.asyncio.Redis:
    """A client on a *blocking* pool: at ``max_connections`` a request waits (up to
    ``REDIS_POOL_TIMEOUT_SECONDS``) for a connection instead of failing at once, as redis-py's
    default pool does (MaxConnectionsError: a 500 under a burst of requests). One retry, quickly:
    an outage must not hold every request for seconds of backoff."""
    import redis.asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=REDIS_POOL_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_TIMEOUT_SECONDS, socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1))
    return redis.asyncio.Redis.from_pool(pool)


def build_limit_backend(settings: Settings) -> LimitBackend:
    """Redis when ``SONGDA_REDIS_URL`` is set (required in production), else the database."""
    if settings.redis_url:
        return RedisLimitBackend(redis_client(settings.redis_url, max_connections=settings.redis_max_connections))
    return DatabaseLimitBackend()
