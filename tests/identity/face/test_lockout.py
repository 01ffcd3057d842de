"""The lockout policy with an injected clock: 5 in a row → 30 s; 20 in 24 h → off for 24 h."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from identity.face.lockout import Decision, DecisionKind, FaceAttemptState, after_failure, after_success, decide

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


def fail(state: FaceAttemptState, times: int, now: datetime, step=timedelta(seconds=1)):
    for i in range(times):
        state = after_failure(state, now=now + i * step)
    return state


def test_a_fresh_state_is_allowed():
    decision = decide(FaceAttemptState(), now=T0)
    assert decision.allowed and decision.kind is DecisionKind.ALLOWED and decision.seconds == 0


def test_four_failures_do_not_wait_the_fifth_does():
    state = fail(FaceAttemptState(), 4, T0)
    assert decide(state, now=T0 + timedelta(seconds=4)).allowed
    state = after_failure(state, now=T0 + timedelta(seconds=10))
    decision = decide(state, now=T0 + timedelta(seconds=10))
    assert decision.kind is DecisionKind.WAIT and decision.seconds == 30 and not decision.disabled
    assert decision.until == T0 + timedelta(seconds=40)
    assert decide(state, now=T0 + timedelta(seconds=39, microseconds=500000)).seconds == 1
    assert decide(state, now=T0 + timedelta(seconds=40)).allowed


def test_every_failure_after_the_fifth_waits_again_until_a_success():
    state = fail(FaceAttemptState(), 5, T0)
    later = T0 + timedelta(minutes=5)
    state = after_failure(state, now=later)
    assert decide(state, now=later).kind is DecisionKind.WAIT
    state = after_success(state)
    assert state.consecutive_failures == 0 and decide(state, now=later).allowed
    state = after_failure(state, now=later + timedelta(minutes=1))
    assert decide(state, now=later + timedelta(minutes=1)).allowed


def test_twenty_failures_in_24_hours_disable_face_for_24_hours():
    state = FaceAttemptState()
    now = T0
    for i in range(19):
        now = T0 + timedelta(minutes=i * 30)
        state = after_failure(state, now=now)
        if i % 3 == 0:
            state = after_success(state)  # a success forgives the streak, not the day's count
    assert state.total_failures_24h == 19
    assert decide(state, now=now + timedelta(minutes=1)).kind is not DecisionKind.DISABLED
    last = now + timedelta(minutes=1)
    state = after_failure(state, now=last)
    decision = decide(state, now=last)
    assert decision.disabled and decision.kind is DecisionKind.DISABLED and decision.reason == "disabled"
    assert decision.until == last + timedelta(hours=24) and decision.seconds == 24 * 3600
    assert decide(state, now=last + timedelta(hours=23, minutes=59)).disabled
    assert decide(state, now=last + timedelta(hours=24)).allowed


def test_the_24_hour_count_starts_again_after_the_window():
    state = fail(FaceAttemptState(), 3, T0)
    state = after_success(state)
    state = after_failure(state, now=T0 + timedelta(hours=24, seconds=1))
    assert state.total_failures_24h == 1 and state.window_started_at == T0 + timedelta(hours=24, seconds=1)


def test_policy_is_pure():
    state = FaceAttemptState()
    after_failure(state, now=T0)
    assert state == FaceAttemptState()
    assert isinstance(decide(state, T0), Decision)  # ``now`` may also be passed positionally
