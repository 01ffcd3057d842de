"""Running a synchronous hypothesis test against the in-process app from an async test.

The app, its database connections and the httpx ASGI client belong to the test's event loop, while
hypothesis' ``@given`` drives a plain function. So the hypothesis test runs in a worker thread and
sends each request back to the loop, which stays free to serve it: one process, one database, the
real app, and hypothesis' shrinking and settings intact.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# One request (or use case) may take this long before the suite calls it hung.
CALL_TIMEOUT = 30.0


class LoopBridge:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=CALL_TIMEOUT)


async def run_in_thread(test: Callable[[LoopBridge], None]) -> None:
    """Run ``test(call)`` in a worker thread; ``call(coro)`` awaits ``coro`` on this loop."""
    bridge = LoopBridge(asyncio.get_running_loop())
    await asyncio.to_thread(test, bridge)
