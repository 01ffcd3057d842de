"""Face-attempt lockout policy (pure; the caller stores the state and passes ``now`` in UTC).

- 5 consecutive failures → a 30 s wait; every further failure while the streak lasts waits again.
- 20 failures within a 24 h window → face verification off for that recipient for 24 h; the
  caller offers the SMS route instead.
- A success ends the streak; it does not forgive the 24 h count.

The 24 h window is fixed (it starts at the first failure after the previous window ended) so the
state is four small fields, not a list of timestamps; at a window boundary up to 2 × 19 failures
can fall close together, still each streak of 5 waiting 30 s.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

CONSECUTIVE_LIMIT = 5
WAIT = timedelta(seconds=30)
WINDOW_LIMIT = 20
WINDOW = timedelta(hours=24)
DISABLED_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class FaceAttemptState:
    consecutive_failures: int = 0
    total_failures_24h: int = 0
    wait_until: datetime | None = None
    disabled_until: datetime | None = None
    window_started_at: datetime | None = None


class DecisionKind(str, Enum):
    ALLOWED = "allowed"
    WAIT = "wait"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    until: datetime | None = None
    seconds: int = 0  # whole seconds to wait, rounded up; 0 when allowed

    @property
    def allowed(self) -> bool:
        return self.kind is DecisionKind.ALLOWED

    @property
    def disabled(self) -> bool:
        return self.kind is DecisionKind.DISABLED

    @property
    def reason(self) -> str:
        return self.kind.value


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, -int(-(until - now).total_seconds() // 1))


def decide(state: FaceAttemptState, now: datetime) -> Decision:
    """May this recipient make a face attempt at ``now``?"""
    if state.disabled_until is not None and now < state.disabled_until:
        return Decision(DecisionKind.DISABLED, state.disabled_until, _seconds(state.disabled_until, now))
    if state.wait_until is not None and now < state.wait_until:
        return Decision(DecisionKind.WAIT, state.wait_until, _seconds(state.wait_until, now))
    return Decision(DecisionKind.ALLOWED)


def after_failure(state: FaceAttemptState, now: datetime) -> FaceAttemptState:
    window_started, total = state.window_started_at, state.total_failures_24h
    if window_started is None or now - window_started >= WINDOW:
        window_started, total = now, 0
    total += 1
    consecutive = state.consecutive_failures + 1
    wait_until = now + WAIT if consecutive >= CONSECUTIVE_LIMIT else state.wait_until
    disabled_until = now + DISABLED_FOR if total >= WINDOW_LIMIT else state.disabled_until
    return dataclasses.replace(state, consecutive_failures=consecutive, total_failures_24h=total,
                               wait_until=wait_until, disabled_until=disabled_until,
                               window_started_at=window_started)


def after_success(state: FaceAttemptState) -> FaceAttemptState:
    return dataclasses.replace(state, consecutive_failures=0, wait_until=None)
