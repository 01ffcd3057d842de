"""tortoise's asyncpg client, with the pool's waiters served in the order they came.

asyncpg's pool hands out connections through ``asyncio.Queue.get``, which lets a newcomer take a
connection that was just released to a waiter who has been woken but has not run yet; that
waiter then queues again at the back. Under load (more requests than pooled connections) a
request can lose that race many times over: at 500 phones the landing pages' p99 was 2 s
while the median was 0.2 s and the event loop's own lag stayed under 10 ms
(docs/PERFORMANCE.md). ``asyncio.Semaphore`` hands a released permit to the first waiter and
makes newcomers queue behind waiters, so a semaphore the size of the pool in front of it makes
the wait first come, first served; the pool itself then never has a waiter.

Tortoise picks a client by the ``engine`` module's ``client_class`` (``app/database.py`` names
this module); both of its ways to a connection (a query, a transaction) go through
``client._pool.acquire()`` and ``.release()``, which ``FairPool`` wraps.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

__all__ = ["FairPool", "client_class", "database_wait"]


class FairPool:
    """An asyncpg pool whose ``acquire`` waits in arrival order; everything else is the pool's."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self._turns = asyncio.Semaphore(size)
        self._waiting: deque[float] = deque()  # waiters' arrival times, oldest first (FIFO)

    def waited(self) -> float:
        """Seconds the longest waiter has waited for a connection so far (0 with none waiting):
        the queueing delay admission control sheds by (web/admission.py)."""
        return time.monotonic() - self._waiting[0] if self._waiting else 0.0

    async def acquire(self, *, timeout: float | None = None) -> Any:
        if self._turns.locked():
            # Removing by value is right even if two arrived at the same instant: same value.
            arrival = time.monotonic()
            self._waiting.append(arrival)
            try:
                await self._turns.acquire()
            finally:
                self._waiting.remove(arrival)
        else:
            await self._turns.acquire()
        try:
            return await self._pool.acquire(timeout=timeout)
        except BaseException:
            self._turns.release()
            raise

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        try:
            await self._pool.release(connection, timeout=timeout)
        finally:
            self._turns.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class FairAsyncpgDBClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> FairPool:
        return FairPool(await super().create_pool(**kwargs), kwargs["max_size"])


client_class = FairAsyncpgDBClient


def database_wait(connection_name: str = "default") -> float:
    """``FairPool.waited`` of the named tortoise connection; 0 before it has a pool."""
    from tortoise import connections

    pool = getattr(connections.get(connection_name), "_pool", None)
    return pool.waited() if isinstance(pool, FairPool) else 0.0
