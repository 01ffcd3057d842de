"""Which shared dependencies (PostgreSQL, Redis) this process currently finds unreachable.

An outage is logged once when it starts and once when it ends, however many requests fail in
between (each of those is answered 503 with ``Retry-After``, without a traceback: app/factory.py).
The state is per process; every process logs its own view.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger("songda.outages")

RETRY_AFTER_SECONDS = 5


class Outages:
    def __init__(self) -> None:
        self._since: dict[str, float] = {}

    def down(self, dependency: str, exc: BaseException) -> None:
        """``dependency`` failed a call: the first failure of an outage is logged, the rest are not."""
        if dependency not in self._since:
            self._since[dependency] = time.monotonic()
            log.error("%s unavailable: %s: %s (requests answered 503 until it is back)",
                      dependency, type(exc).__name__, str(exc)[:200] or "-")

    def up(self, dependency: str) -> None:
        """``dependency`` answered: ends its outage, if there was one."""
        since = self._since.pop(dependency, None)
        if since is not None:
            log.warning("%s recovered after %.1f s", dependency, time.monotonic() - since)

    def is_down(self, dependency: str) -> bool:
        return dependency in self._since

    def down_now(self) -> list[str]:
        return list(self._since)


outages = Outages()
