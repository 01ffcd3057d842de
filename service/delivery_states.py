"""The delivery state machine, as plain rules.

created → notified → arrived → opened → verified → viewed → signed, moving forward only
(a channel may skip steps: the portal has no SMS to arrive). ``failed`` happens before
arrival; ``expired`` and ``revoked`` end any delivery that is not signed. A failed SMS that
is nevertheless opened moves on: opening the link proves it arrived.
"""
from __future__ import annotations

from datetime import datetime

from core.errors import Conflict
from service.choices import DeliveryState as S

PROGRESS = (S.CREATED, S.NOTIFIED, S.ARRIVED, S.OPENED, S.VERIFIED, S.VIEWED, S.SIGNED)
ENDED = frozenset({S.SIGNED, S.EXPIRED, S.REVOKED})
_RANK = {state: rank for rank, state in enumerate(PROGRESS)}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def can_move(current: S, target: S) -> bool:
    if current in ENDED:
        return False
    if target in (S.EXPIRED, S.REVOKED):
        return True
    if target is S.FAILED:
        return current in (S.CREATED, S.NOTIFIED)
    if current is S.FAILED:
        return _RANK[target] >= _RANK[S.OPENED]
    return _RANK[target] > _RANK[current]


def move(delivery, target: S, at: datetime) -> None:
    """Apply ``target`` to a delivery row (anything with ``state`` and ``<state>_at``)."""
    if not can_move(delivery.state, target):
        raise InvalidTransition(
            f"送达状态不能从“{delivery.state.label}”变为“{target.label}”",
            details={"from": delivery.state.value, "to": target.value},
        )
    delivery.state = target
    setattr(delivery, f"{target.value}_at", at)
