"""The delivery state machine: every (from, to) pair against the rules in the module docstring."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from core.errors import AppError, Conflict
from service.choices import DeliveryState as S
from service.delivery_states import InvalidTransition, can_move, move

# Rows: from; columns: to. "x" = allowed.
#   forward only along created → … → signed, skipping allowed;
#   failed only before arrival; expired/revoked from anything not ended;
#   a failed delivery that is opened moves on from opened; signed/expired/revoked are final.
ORDER = [S.CREATED, S.NOTIFIED, S.ARRIVED, S.OPENED, S.VERIFIED, S.VIEWED, S.SIGNED,
         S.FAILED, S.EXPIRED, S.REVOKED]
MATRIX = """
            cre not arr ope ver vie sig fai exp rev
created      .   x   x   x   x   x   x   x   x   x
notified     .   .   x   x   x   x   x   x   x   x
arrived      .   .   .   x   x   x   x   .   x   x
opened       .   .   .   .   x   x   x   .   x   x
verified     .   .   .   .   .   x   x   .   x   x
viewed       .   .   .   .   .   .   x   .   x   x
signed       .   .   .   .   .   .   .   .   .   .
failed       .   .   .   x   x   x   x   .   x   x
expired      .   .   .   .   .   .   .   .   .   .
revoked      .   .   .   .   .   .   .   .   .   .
"""


def _table() -> list[tuple[S, S, bool]]:
    rows = [line.split() for line in MATRIX.strip().splitlines()[1:]]
    assert [S(row[0]) for row in rows] == ORDER
    cases = []
    for row in rows:
        assert len(row) == len(ORDER) + 1
        for target, mark in zip(ORDER, row[1:]):
            cases.append((S(row[0]), target, mark == "x"))
    return cases


TABLE = _table()
AT = datetime(2024, 5, 6, 9, 30, tzinfo=timezone.utc)


def test_table_covers_every_pair():
    assert len(TABLE) == len(S) ** 2 == 100
    assert {(a, b) for a, b, _ in TABLE} == {(a, b) for a in S for b in S}


@pytest.mark.parametrize(("current", "target", "allowed"), TABLE,
                         ids=[f"{a.value}->{b.value}" for a, b, _ in TABLE])
def test_can_move(current, target, allowed):
    assert can_move(current, target) is allowed


@pytest.mark.parametrize(("current", "target"), [(a, b) for a, b, ok in TABLE if ok],
                         ids=[f"{a.value}->{b.value}" for a, b, ok in TABLE if ok])
def test_move_sets_state_and_timestamp(current, target):
    delivery = SimpleNamespace(state=current)
    move(delivery, target, AT)
    assert delivery.state is target
    assert getattr(delivery, f"{target.value}_at") == AT


@pytest.mark.parametrize(("current", "target"), [(a, b) for a, b, ok in TABLE if not ok],
                         ids=[f"{a.value}->{b.value}" for a, b, ok in TABLE if not ok])
def test_move_refuses_and_leaves_the_row_alone(current, target):
    delivery = SimpleNamespace(state=current)
    with pytest.raises(InvalidTransition) as info:
        move(delivery, target, AT)
    assert delivery.state is current
    assert not hasattr(delivery, f"{target.value}_at")
    error = info.value
    assert isinstance(error, Conflict) and isinstance(error, AppError)
    assert error.status == 409
    assert error.code == "invalid_transition"
    assert error.message == f"送达状态不能从“{current.label}”变为“{target.label}”"
    assert error.details == {"from": current.value, "to": target.value}
    assert error.to_dict()["error"]["code"] == "invalid_transition"


def test_move_keeps_earlier_timestamps():
    delivery = SimpleNamespace(state=S.CREATED)
    t1, t2 = AT, AT.replace(minute=45)
    move(delivery, S.NOTIFIED, t1)
    move(delivery, S.OPENED, t2)  # the portal has no SMS to arrive
    assert (delivery.state, delivery.notified_at, delivery.opened_at) == (S.OPENED, t1, t2)
    assert not hasattr(delivery, "arrived_at")


def test_failed_sms_opened_later_moves_on():
    delivery = SimpleNamespace(state=S.NOTIFIED)
    move(delivery, S.FAILED, AT)
    move(delivery, S.OPENED, AT.replace(hour=10))
    assert delivery.state is S.OPENED and delivery.failed_at == AT
