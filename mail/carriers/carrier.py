"""The carrier interface: track a waybill, subscribe to pushes, read a push.

Every implementation answers in the same terms (``MailStatus`` stages, Beijing times made aware)
and passes the same contract test (tests/mail/test_carriers.py). A status the carrier reports that
we do not know is kept as a timeline line with ``status=None`` and changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.errors import AppError, Forbidden
from mail.choices import MailStatus

SIGNER = re.compile(r"(?:签收人|签收人为|代签人)[:：为\s]*([^\s，。,;；]{1,20})")


@dataclass(frozen=True)
class TrackPoint:
    at: datetime
    status: MailStatus | None
    text: str
    location: str = ""


@dataclass(frozen=True)
class Tracking:
    waybill: str
    points: tuple[TrackPoint, ...]

    @property
    def latest(self) -> TrackPoint | None:
        known = [p for p in self.points if p.status is not None]
        return max(known, key=lambda p: p.at) if known else None

    @property
    def signer(self) -> str:
        for point in sorted(self.points, key=lambda p: p.at, reverse=True):
            if point.status is MailStatus.DELIVERED and (match := SIGNER.search(point.text)):
                return match.group(1)
        return ""


class CarrierUnavailable(AppError):
    """The carrier did not answer (network, 5xx): retried later."""

    status = 503
    code = "carrier_unavailable"


class CarrierRejected(AppError):
    """The carrier refused the request (bad waybill, our credentials)."""

    status = 422
    code = "carrier_rejected"


class PushRejected(Forbidden):
    """A tracking push whose signature does not verify."""

    code = "push_signature_invalid"


class Carrier(Protocol):
    name: str

    async def track(self, waybill: str, *, now: datetime) -> Tracking: ...

    async def subscribe(self, waybill: str, *, callback_url: str, now: datetime) -> None: ...

    def read_push(self, form: Mapping[str, str]) -> Tracking:
        """The tracking a push carries, its signature verified (else ``PushRejected``)."""
        ...
