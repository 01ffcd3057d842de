"""Admission control: a web process sheds requests it could not serve in time.

Two bounds. The queueing delay: when the longest waiter for a database connection has waited
more than ``max_wait`` seconds (core/database_client.py keeps that queue first come, first
served, and measures it), the process is behind by that much, and a new request would wait at
least as long. The depth: at most ``max_in_flight`` requests at once, a bound on memory. Past
either a request is answered at once with 503, ``Retry-After`` and a Chinese message
(a page, or ``{"error": …}`` on the JSON surfaces, through the app's error handler), before any
handler runs, so before it touches PostgreSQL or Redis. Under a burst the requests taken are
served within their time instead of every request waiting behind all the others (a closed loop's
wait grows with the number of connections, not with the work: docs/PERFORMANCE.md).

Requests in flight are held in a weak set, not a counter: a request whose handler was cancelled
(the client went away) and never reached the response hook leaves the set when it is freed,
so the depth cannot leak down to zero capacity.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from core.errors import Overloaded

__all__ = ["Admission", "install_admission"]


class Admission:
    """The requests one process is serving; ``admit`` refuses past ``max_in_flight`` or once
    ``queueing_delay()`` exceeds ``max_wait`` seconds (0: no delay bound)."""

    def __init__(self, max_in_flight: int, retry_after: int = 1, *, max_wait: float = 0.0,
                 queueing_delay: Callable[[], float] = lambda: 0.0) -> None:
        self.max_in_flight = max_in_flight
        self.retry_after = retry_after
        self.max_wait = max_wait
        self.queueing_delay = queueing_delay
        self._in_flight: weakref.WeakSet[Request] = weakref.WeakSet()
        self.shed = 0  # answered 503 since start (for logs and tests)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def admit(self, request: Request) -> None:
        if len(self._in_flight) >= self.max_in_flight or (
                self.max_wait and self.queueing_delay() > self.max_wait):
            self.shed += 1
            raise Overloaded(retry_after=self.retry_after)
        self._in_flight.add(request)

    def done(self, request: Request) -> None:
        self._in_flight.discard(request)


def install_admission(app: Sanic, max_in_flight: int, retry_after: int = 1, *, max_wait: float = 0.0,
                      queueing_delay: Callable[[], float] = lambda: 0.0) -> Admission | None:
    """Register the hooks (first of the request hooks); ``max_in_flight`` 0 installs nothing."""
    if max_in_flight <= 0:
        return None
    admission = Admission(max_in_flight, retry_after, max_wait=max_wait, queueing_delay=queueing_delay)

    async def admit(request: Request) -> None:
        admission.admit(request)

    async def done(request: Request, response: HTTPResponse) -> None:
        admission.done(request)

    app.register_middleware(admit, "request", priority=1000)
    app.register_middleware(done, "response", priority=1000)
    return admission
