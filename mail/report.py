"""邮寄送达报告: what the service report (receipts/service_report.py) states about mail for one
service — per item the waybill, the logistics timeline, the return-card scans and which rule of
law applied. Data only; the report owns the layout."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mail.models import MailItem, ReturnScan, TrackingEvent
from service.models import Attempt, Recipient


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    status: str
    text: str
    location: str


@dataclass(frozen=True)
class MailReportItem:
    recipient: str
    address: str                # masked: the report is read on staff and litigant pages
    code: str
    waybill: str
    status: str
    timeline: tuple[TimelineLine, ...]
    scan_sha256: tuple[str, ...]
    signer: str                 # 签收人 and their relation, or ""
    returned: str               # 退回原因, or ""
    effective_at: datetime | None
    effect_rule: str
    effect_reason: str
    failure: str


async def mail_report(service_id: int, *, recipient_id: int | None = None) -> list[MailReportItem]:
    """The service's mail items; with ``recipient_id``, that recipient's only (what the task,
    recipient and portal pages show as the logistics timeline)."""
    scope = {"recipient_id": recipient_id} if recipient_id is not None else {}
    attempts = {a.id: a for a in await Attempt.filter(service_id=service_id, channel="mail", **scope)}
    items = await MailItem.filter(attempt_id__in=list(attempts)).order_by("id")
    recipients = {r.id: r for r in await Recipient.filter(service_id=service_id)}
    report = []
    for item in items:
        attempt = attempts[item.attempt_id]
        recipient = recipients[attempt.recipient_id]
        lines = await TrackingEvent.filter(item_id=item.id).order_by("at", "id")
        scans = await ReturnScan.filter(item_id=item.id).order_by("id").values_list("sha256", flat=True)
        signer = f"{item.signer_name}（{item.card_signer.label}）" if item.card_signer else ""
        report.append(MailReportItem(
            recipient=recipient.name, address=recipient.address_masked, code=item.code, waybill=item.waybill or "",
            status=item.status.label,
            timeline=tuple(TimelineLine(e.at, e.status.label if e.status else "其他", e.text, e.location)
                           for e in lines),
            scan_sha256=tuple(scans), signer=signer, returned=item.return_reason.label if item.return_reason else "",
            effective_at=attempt.effective_at, effect_rule=attempt.effect_rule, effect_reason=attempt.effect_reason,
            failure=attempt.failure_text))
    return report
