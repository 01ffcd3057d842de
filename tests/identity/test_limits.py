"""One contract, two limit backends: Redis and the ``rate_counter`` table decide alike.

``LimitContract`` holds the tests; each backend's class supplies the ``limits`` fixture. The
database class uses ``db``, so it runs on SQLite and on PostgreSQL. Time is passed in.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio

from identity.limits import (
    REDIS_PREFIX,
    Claim,
    DatabaseLimitBackend,
    Hit,
    LimitBackend,
    LocalLimitBackend,
    RedisLimitBackend,
    build_limit_backend,
)
from identity.limits import redis_client as pooled_redis_client
from identity.models import RateCounter
from tests.conftest import make_settings
from tests.servers import free_port

CHINA = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)  # on the hour, Beijing time
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def redis_client():
    client = redis.asyncio.Redis.from_url(REDIS_TEST_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


class LimitContract:
    def test_implements_the_interface(self, limits):
        assert isinstance(limits, LimitBackend)

    async def test_allows_up_to_the_limit_then_refuses_until_the_window_ends(self, limits):
        results = [await limits.hit("k", 3, HOUR, now=T0 + timedelta(minutes=i)) for i in range(4)]
        assert [r.allowed for r in results] == [True, True, True, False]
        assert [r.count for r in results] == [1, 2, 3, 3]
        assert results[2].retry_after == 0
        assert results[3].retry_after == 57 * 60  # refused at 09:03, window ends at 10:00

    async def test_refused_hits_are_not_counted(self, limits):
        for _ in range(10):
            await limits.hit("k", 2, HOUR, now=T0)
        peeked = await limits.peek("k", 2, HOUR, now=T0)
        assert (peeked.allowed, peeked.count) == (False, 2)

    async def test_next_window_starts_from_zero(self, limits):
        for _ in range(3):
            await limits.hit("k", 3, HOUR, now=T0 + timedelta(minutes=59, seconds=59))
        assert not (await limits.hit("k", 3, HOUR, now=T0 + timedelta(minutes=59, seconds=59))).allowed
        result = await limits.hit("k", 3, HOUR, now=T0 + HOUR)
        assert (result.allowed, result.count) == (True, 1)

    async def test_days_start_at_beijing_midnight(self, limits):
        before = datetime(2024, 5, 1, 23, 59, 59, tzinfo=CHINA)
        assert (await limits.hit("d", 1, DAY, now=before)).allowed
        refused = await limits.hit("d", 1, DAY, now=before)
        assert not refused.allowed and refused.retry_after == 1
        assert (await limits.hit("d", 1, DAY, now=before + timedelta(seconds=1))).allowed

    async def test_keys_and_window_lengths_are_counted_apart(self, limits):
        await limits.hit("a", 1, HOUR, now=T0)
        assert (await limits.hit("b", 1, HOUR, now=T0)).allowed
        assert (await limits.hit("a", 1, DAY, now=T0)).allowed
        assert not (await limits.hit("a", 1, HOUR, now=T0)).allowed

    async def test_peek_counts_nothing(self, limits):
        assert (await limits.peek("k", 1, HOUR, now=T0)).count == 0
        await limits.hit("k", 1, HOUR, now=T0)
        peeked = await limits.peek("k", 1, HOUR, now=T0)
        assert (peeked.allowed, peeked.count, peeked.retry_after) == (False, 1, 3600)

    async def test_concurrent_hits_never_pass_the_limit(self, limits):
        results = await asyncio.gather(*(limits.hit("k", 5, HOUR, now=T0) for _ in range(20)))
        assert sum(r.allowed for r in results) == 5
        assert sorted(r.count for r in results if r.allowed) == [1, 2, 3, 4, 5]

    async def test_claim_is_a_cooldown_measured_from_the_last_claim(self, limits):
        # Claimed one second before a minute boundary: a fixed window would reopen at once.
        start = T0 + timedelta(seconds=59)
        assert (await limits.claim("c", timedelta(seconds=60), now=start)).allowed
        refused = await limits.claim("c", timedelta(seconds=60), now=start + timedelta(seconds=2))
        assert (refused.allowed, refused.retry_after) == (False, 58)
        later = await limits.claim("c", timedelta(seconds=60), now=start + timedelta(seconds=59.5))
        assert (later.allowed, later.retry_after) == (False, 1)
        assert (await limits.claim("c", timedelta(seconds=60), now=start + timedelta(seconds=60))).allowed
        assert not (await limits.claim("c", timedelta(seconds=60), now=start + timedelta(seconds=61))).allowed

    async def test_concurrent_claims_let_one_through(self, limits):
        results = await asyncio.gather(*(limits.claim("c", timedelta(seconds=60), now=T0) for _ in range(10)))
        assert sum(r.allowed for r in results) == 1

    async def test_claims_and_hits_do_not_share_keys(self, limits):
        await limits.claim("x", timedelta(seconds=60), now=T0)
        assert (await limits.hit("x", 1, HOUR, now=T0)).allowed


    async def test_spend_stops_at_the_first_refusal_and_leaves_the_rest_unspent(self, limits):
        steps = [Claim("c", timedelta(seconds=60)), Hit("a", 2, HOUR), Hit("b", 1, DAY)]
        first = await limits.spend(steps, now=T0)
        assert [(r.allowed, r.count) for r in first] == [(True, 1), (True, 1), (True, 1)]
        cooling = await limits.spend(steps, now=T0 + timedelta(seconds=20))
        assert [(r.allowed, r.retry_after) for r in cooling] == [(False, 40)]
        assert (await limits.peek("a", 2, HOUR, now=T0)).count == 1  # not spent behind the cooldown
        blocked = await limits.spend([Hit("a", 2, HOUR), Hit("b", 1, DAY), Hit("z", 5, HOUR)], now=T0)
        assert [r.allowed for r in blocked] == [True, False]
        assert blocked[1].retry_after == 15 * 3600  # 09:00 → Beijing midnight
        assert (await limits.peek("z", 5, HOUR, now=T0)).count == 0

    async def test_spend_decides_like_single_calls(self, limits):
        alone = [await limits.hit("one", 3, HOUR, now=T0) for _ in range(4)]
        spent = [(await limits.spend([Hit("two", 3, HOUR)], now=T0))[0] for _ in range(4)]
        assert spent == alone


class TestRedisBackend(LimitContract):
    @pytest.fixture
    def limits(self, redis_client):
        return RedisLimitBackend(redis_client)

    async def test_keys_are_prefixed_and_expire(self, limits, redis_client):
        await limits.hit("k", 3, HOUR, now=T0)
        await limits.claim("c", timedelta(seconds=60), now=T0)
        keys = sorted(k.decode() for k in await redis_client.keys("*"))
        assert len(keys) == 2 and all(k.startswith(REDIS_PREFIX) for k in keys)
        for key in keys:
            assert 0 < await redis_client.pttl(key) <= 2 * 3600 * 1000


class TestDatabaseBackend(LimitContract):
    @pytest.fixture
    def limits(self, db):
        return DatabaseLimitBackend()

    async def test_rows_of_past_windows_are_swept(self, limits):
        await limits.hit("old", 1, HOUR, now=T0)
        await limits.claim("cool", timedelta(seconds=60), now=T0)
        assert await RateCounter.all().count() == 2
        await limits.hit("new", 1, HOUR, now=T0 + HOUR)
        keys = await RateCounter.all().values_list("key", flat=True)
        assert len(keys) == 1 and keys[0].startswith("new:")


def test_redis_is_chosen_when_configured(tmp_path):
    assert isinstance(build_limit_backend(make_settings(tmp_path, redis_url=REDIS_TEST_URL)),
                      RedisLimitBackend)
    assert isinstance(build_limit_backend(make_settings(tmp_path)), DatabaseLimitBackend)


def test_every_429_carries_retry_after_and_other_errors_do_not():
    from core.errors import DEFAULT_RETRY_AFTER, AppError, NotFound
    from identity.limits import RateLimited

    limited = RateLimited("请求过于频繁，请42秒后再试", code="login_rate_limited", retry_after=42)
    assert limited.headers() == {"Retry-After": "42"} and limited.to_dict()["error"]["details"] == {"retry_after": 42}
    assert RateLimited("x", details={"retry_after": 7}).headers() == {"Retry-After": "7"}
    # A provider's 429 whose window we do not know still says when to come back.
    assert AppError("x", status=429).headers() == {"Retry-After": str(DEFAULT_RETRY_AFTER)}
    assert NotFound("x").headers() == {} and AppError("x", status=403, details={"retry_after": 5}).headers() == {}


class TestLocalBackend(LimitContract):
    @pytest.fixture
    def limits(self):
        return LocalLimitBackend()


async def test_a_burst_beyond_the_pool_waits_for_connections_instead_of_failing(tmp_path):
    """200 concurrent decisions through 4 pooled connections: redis-py's default pool raised
    MaxConnectionsError for the 5th (a 500 on /s/ under load); the blocking pool makes them wait."""
    backend = build_limit_backend(make_settings(tmp_path, redis_url=REDIS_TEST_URL + "?max_connections=4"))
    key = f"burst:{uuid.uuid4().hex}"
    results = await asyncio.gather(*(backend.hit(key, 1000, HOUR, now=T0) for _ in range(200)))
    assert all(r.allowed for r in results) and sorted(r.count for r in results) == list(range(1, 201))
    settings = make_settings(tmp_path, redis_url=REDIS_TEST_URL, redis_max_connections=3)
    backend = build_limit_backend(settings)
    results = await asyncio.gather(*(backend.hit(key + ":2", 1000, HOUR, now=T0) for _ in range(200)))
    assert all(r.allowed for r in results)
    assert backend._redis.connection_pool.max_connections == 3


async def test_with_redis_unreachable_only_fallback_hits_are_decided_in_process(caplog):
    backend = RedisLimitBackend(pooled_redis_client(f"redis://127.0.0.1:{free_port()}/0"))
    caplog.set_level(logging.INFO, logger="songda.outages")
    results = [await backend.hit("link", 2, HOUR, now=T0, local_fallback=True) for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]  # still limited, in this process
    for _ in range(3):
        with pytest.raises(redis.exceptions.ConnectionError):
            await backend.hit("code", 5, HOUR, now=T0)
        with pytest.raises(redis.exceptions.ConnectionError):
            await backend.spend([Hit("link", 2, HOUR, local_fallback=True), Claim("code", HOUR)], now=T0)
    down = [r for r in caplog.records if r.name == "songda.outages"]
    assert len(down) == 1 and "redis unavailable" in down[0].getMessage()
    await backend._redis.aclose()
