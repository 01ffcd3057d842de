"""A carrier for development and tests: every waybill moves 收寄 → 运输 → 派送 → 妥投 (signed by
the recipient) on a fixed schedule from its subscription, or comes back 退回 when the digits of its
number end in 9 (a refusal). Time is whatever ``now`` the caller passes, so tests drive the schedule."""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from mail.carriers.carrier import PushRejected, Tracking, TrackPoint
from mail.choices import MailStatus

log = logging.getLogger(__name__)
SCHEDULE = ((timedelta(0), MailStatus.POSTED, "【示范市邮政】已收寄法院专递"),
            (timedelta(hours=12), MailStatus.IN_TRANSIT, "已发往目的地处理中心"),
            (timedelta(hours=36), MailStatus.DELIVERING, "投递员正在派送"))
DELIVERED_AFTER = timedelta(hours=48)
SIGNED = "已妥投，签收人：本人"
REFUSED = "退回：收件人拒收"


class DevCarrier:
    name = "dev"

    def __init__(self) -> None:
        log.warning("dev carrier in use: tracking is simulated (SONGDA_MAIL_CARRIER=dev)")
        self._started: dict[str, datetime] = {}

    async def subscribe(self, waybill: str, *, callback_url: str, now: datetime) -> None:
        self._started.setdefault(waybill, now)

    async def track(self, waybill: str, *, now: datetime) -> Tracking:
        start = self._started.setdefault(waybill, now)
        points = [TrackPoint(start + after, status, text, "示范市") for after, status, text in SCHEDULE
                  if now >= start + after]
        if now >= start + DELIVERED_AFTER:
            final = (MailStatus.RETURNED, REFUSED) if _digits(waybill).endswith("9") else (MailStatus.DELIVERED, SIGNED)
            points.append(TrackPoint(start + DELIVERED_AFTER, *final, "示范市"))
        return Tracking(waybill, tuple(points))

    def read_push(self, form: Mapping[str, str]) -> Tracking:
        # The dev carrier signs its (test-made) pushes like Kuaidi100, with a fixed salt.
        param = form.get("param") or ""
        if hashlib.md5((param + "dev").encode()).hexdigest().upper() != (form.get("sign") or "").upper():
            raise PushRejected("推送签名无效")
        body = json.loads(param)
        return Tracking(body["waybill"], ())


def _digits(waybill: str) -> str:
    return "".join(c for c in waybill if c.isdigit())
