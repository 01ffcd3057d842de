"""core/database_client.py: waits for a pooled connection are served first come, first served,
and the longest wait is measured (admission control sheds by it)."""
from __future__ import annotations

import asyncio
import itertools
import random

import asyncpg
from tortoise import connections

from app.database import _keep_session
from core.database_client import FairPool, database_wait


async def _grant_order(pool, *, tasks: int = 20, rounds: int = 10) -> list[int]:
    """Many tasks taking turns on one pooled connection: each takes a ticket when it asks; the
    tickets in the order the connection was granted."""
    tickets = itertools.count()
    granted: list[int] = []
    steps = random.Random(7)  # requests reach the pool at any step of the loop, as a server's do

    async def use() -> None:
        for _ in range(rounds):
            ticket = next(tickets)
            connection = await pool.acquire()
            granted.append(ticket)
            for _ in range(steps.randrange(3)):
                await asyncio.sleep(0)
            await pool.release(connection)
            for _ in range(steps.randrange(4)):
                await asyncio.sleep(0)

    await asyncio.gather(*(use() for _ in range(tasks)))
    return granted


async def test_connections_are_granted_in_the_order_they_were_asked_for(postgres_url):
    dsn = postgres_url.split("?", 1)[0].replace("postgres://", "postgresql://", 1)
    # As app/database.py configures it: no reset round trip on release.
    plain = await asyncpg.create_pool(dsn, min_size=1, max_size=1, reset=_keep_session)
    fair = FairPool(await asyncpg.create_pool(dsn, min_size=1, max_size=1, reset=_keep_session), 1)
    try:
        overtaken = await _grant_order(plain)
        granted = await _grant_order(fair)
    finally:
        await plain.close()
        await fair.close()
    assert granted == sorted(granted)
    # asyncpg's own queue lets a newcomer take a connection released to a waiter who has not run
    # yet (that waiter queues again at the back): the reason for FairPool.
    assert overtaken != sorted(overtaken)


async def test_the_longest_wait_is_measured_and_cleared_when_served_or_cancelled(postgres_url):
    dsn = postgres_url.split("?", 1)[0].replace("postgres://", "postgresql://", 1)
    fair = FairPool(await asyncpg.create_pool(dsn, min_size=1, max_size=1), 1)
    try:
        assert fair.waited() == 0.0
        held = await fair.acquire()
        waiter = asyncio.create_task(fair.acquire())
        await asyncio.sleep(0.2)
        assert 0.15 < fair.waited() < 5
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert fair.waited() == 0.0  # a cancelled waiter leaves the queue, and its permit is not lost
        await fair.release(held)
        again = await asyncio.wait_for(fair.acquire(), 5)
        await fair.release(again)
    finally:
        await fair.close()


async def test_the_application_pool_is_fair(db):
    # app/database.py names this client: every query and transaction goes through FairPool.
    connection = connections.get("default")
    await connection.execute_query("SELECT 1")
    assert isinstance(connection._pool, FairPool)
    assert database_wait() == 0.0
