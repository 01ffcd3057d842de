"""外出送达 by a process server on a phone: their field tasks by area, arrival on site, and
closing the task — 直接送达 to the recipient or an adult family member living with them
(民事诉讼法 arts. 87, 88), or 留置送达 after a refusal (art. 89).

Art. 89: when the recipient or the adult family member refuses, the process server may invite a
representative of the 基层组织 or the recipient's employer to witness, note the refusal's reason
and date on the receipt, and leave the documents at the residence; or leave them there and record
the process by photo or video. A lodged close therefore needs a refusal reason and either a
witness (named, with the witness's photo or signature) or a site photo or video. A 调解书 is never
lodged (民诉法解释 art. 133): the legal-effect engine refuses it in ``close_task``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from audit.models import Event
from centre.handling import Closing, close_task, start_task
from centre.scope import Scope
from centre.tasks import record_task_event, task_in_scope
from core.errors import Forbidden, ValidationFailed
from inperson.captures import Position, complete_captures
from inperson.choices import CaptureKind, Collector
from inperson.models import InPersonRecord, TaskReceipt
from inperson.receipt_records import open_task_receipt
from service.choices import Channel, FailureReason, Outcome, ServiceMethod, TaskStatus
from service.models import Attempt, Recipient

MAP_URL = "https://uri.amap.com/search?keyword={keyword}&callnative=1"


@dataclass(frozen=True)
class FieldTask:
    attempt_id: int
    case_number: str
    recipient_name: str
    recipient_role: str
    area: str
    address: str
    map_url: str
    status: str
    due_at: datetime | None


def _server(scope: Scope) -> None:
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以办理外出送达")


def map_link(address: str) -> str:
    return MAP_URL.format(keyword=quote(address)) if address else ""


async def my_field_tasks(scope: Scope) -> list[FieldTask]:
    """The caller's open field tasks, by area, then due date."""
    _server(scope)
    attempts = await Attempt.filter(channel=Channel.FIELD, status__in=[TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS],
                                    **scope.attempt_filter()).prefetch_related("recipient", "service__case")
    attempts.sort(key=lambda a: (a.area or "\uffff", a.due_at is None, a.due_at or a.created_at, a.id))
    # The list shows the masked address and a map of its district; the street and number are
    # revealed on the task page with a recorded reason (centre.reveal), like the phone.
    return [FieldTask(a.id, a.service.case.case_number, a.recipient.name, a.recipient.role.label, a.area,
                      a.recipient.address_masked, map_link(a.area.replace(" ", "")), a.status.label, a.due_at)
            for a in attempts]


async def field_task(scope: Scope, attempt_id: int) -> Attempt:
    _server(scope)
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.channel is not Channel.FIELD:
        raise ValidationFailed("该任务不是外出送达任务", code="not_field_task")
    return attempt


async def arrive(scope: Scope, attempt_id: int, position: Position, *, now: datetime, meta: RequestMeta) -> Attempt:
    """到达现场: starts the task and records the server's time with the device's position and time."""
    position.check()
    await field_task(scope, attempt_id)
    async with in_transaction():
        attempt = await start_task(scope, attempt_id, now=now, meta=meta)
        skew = round((position.device_time - now).total_seconds()) if position.device_time else None
        await record_task_event(EventType.TASK_ARRIVED, attempt, scope, meta, {
            "server_time": now.isoformat(), "latitude": position.latitude, "longitude": position.longitude,
            "accuracy_m": position.accuracy_m,
            "device_time": position.device_time.isoformat() if position.device_time else None,
            "clock_skew_s": skew, "no_gps": position.latitude is None})
    return attempt


async def arrival_of(attempt_id: int) -> dict | None:
    event = await Event.filter(type=EventType.TASK_ARRIVED, data__contains={"attempt_id": attempt_id}
                               ).order_by("-id").first()
    return event.data if event else None


@dataclass(frozen=True)
class FieldClosing:
    """What the process server states on site."""

    outcome: Outcome
    method: ServiceMethod | None = None
    served_at: datetime | None = None
    collector: Collector = Collector.RECIPIENT
    collector_name: str = ""
    relation: str = ""                       # a family member's relation to the recipient
    refusal_reason: str = ""                 # 留置: 拒收事由
    witness_name: str = ""                   # 留置: 见证人
    witness_role: str = ""                   # e.g. 村民委员会委员, 所在单位人事部门
    failure_reason: FailureReason | None = None
    failure_text: str = ""


def _check_direct(closing: FieldClosing, kinds: dict[CaptureKind, int]) -> list[dict]:
    problems = []
    if closing.collector not in (Collector.RECIPIENT, Collector.FAMILY):
        problems.append({"field": "collector", "message": "签收人应为受送达人本人或其同住成年家属"})
    if closing.collector is Collector.FAMILY:
        if not closing.collector_name.strip():
            problems.append({"field": "collector_name", "message": "请填写签收家属的姓名"})
        if not closing.relation.strip():
            problems.append({"field": "relation", "message": "请填写签收家属与受送达人的关系"})
    if not kinds.get(CaptureKind.SIGNATURE):
        problems.append({"field": "signature", "message": "直接送达须有签收人在送达回证上的签名"})
    return problems


def _check_lodged(closing: FieldClosing, kinds: dict[CaptureKind, int], witnessed: bool) -> list[dict]:
    problems = []
    if not closing.refusal_reason.strip():
        problems.append({"field": "refusal_reason", "message": "请记明拒收事由"})
    recorded = kinds.get(CaptureKind.SITE_PHOTO) or kinds.get(CaptureKind.VIDEO)
    if not witnessed and not recorded:
        problems.append({"field": "evidence", "message": "留置送达须有见证人（姓名及见证照片）或拍照、录像记录送达过程"
                                                         "（民事诉讼法第89条）"})
    return problems


async def close_field_task(scope: Scope, attempt_id: int, closing: FieldClosing, *, now: datetime,
                           meta: RequestMeta) -> tuple[Attempt, TaskReceipt | None]:
    """办结 a field task; a served close opens its 送达回证."""
    attempt = await field_task(scope, attempt_id)
    for text, limit, name in ((closing.collector_name, 100, "collector_name"), (closing.relation, 50, "relation"),
                              (closing.refusal_reason, 500, "refusal_reason"), (closing.witness_name, 50, "witness_name"),
                              (closing.witness_role, 100, "witness_role")):
        if len(text) > limit:
            raise ValidationFailed(f"内容过长（不超过{limit}字）", code="field_too_long",
                                   details=[{"field": name, "message": f"不超过{limit}字"}])
    if closing.outcome is not Outcome.SERVED:
        closed = await close_task(scope, attempt_id, Closing(closing.outcome, failure_reason=closing.failure_reason,
                                                             failure_text=closing.failure_text), now=now, meta=meta)
        return closed, None
    captures = await complete_captures(attempt.id)
    kinds: dict[CaptureKind, int] = {}
    for capture in captures:
        if capture.kind is CaptureKind.SIGNATURE and capture.witness_name:
            continue     # a witness's signature is not the signer's
        kinds[capture.kind] = kinds.get(capture.kind, 0) + 1
    # A witness is evidence when named and shown: their photo on site or their signature.
    witnessed = bool(closing.witness_name.strip()) and any(
        c.kind in (CaptureKind.WITNESS_PHOTO, CaptureKind.SIGNATURE) and c.witness_name == closing.witness_name.strip()
        for c in captures)
    if closing.method is ServiceMethod.LODGED:
        problems = _check_lodged(closing, kinds, witnessed)
    elif closing.method is ServiceMethod.DIRECT:
        problems = _check_direct(closing, kinds)
    else:
        problems = [{"field": "method", "message": "外出送达的送达方式应为直接送达或留置送达"}]
    if problems:
        raise ValidationFailed(problems[0]["message"], code="field_closing_invalid", details=problems)
    recipient = await Recipient.get(id=attempt.recipient_id)
    arrival = await arrival_of(attempt.id)
    lodged = closing.method is ServiceMethod.LODGED
    # The receipt shows the signer's signature, or for a lodged service the witness's.
    signature = next((c for c in reversed(captures) if c.kind is CaptureKind.SIGNATURE
                      and bool(c.witness_name) == lodged), None)
    photo = next((c for c in reversed(captures) if c.kind in (CaptureKind.SITE_PHOTO, CaptureKind.WITNESS_PHOTO)), None)
    if closing.collector is Collector.FAMILY and not lodged:
        name = closing.collector_name.strip()
    else:
        name = recipient.name
    async with in_transaction():
        await InPersonRecord.create(
            attempt_id=attempt.id, collector=Collector.FAMILY if closing.collector is Collector.FAMILY else
            Collector.RECIPIENT, collector_name=name, relation=closing.relation.strip(),
            identity_proof={"method": "field", "witnessed": witnessed}, handed_on_paper=True,
            place=recipient.address_masked,   # as the receipt prints it: masked, like its phone and ID number
            arrived_at=datetime.fromisoformat(arrival["server_time"]) if arrival else None,
            refusal_reason=closing.refusal_reason.strip() if lodged else "",
            refused_at=closing.served_at if lodged else None,
            witness_name=closing.witness_name.strip() if lodged else "",
            witness_role=closing.witness_role.strip() if lodged else "",
            signature_sha256=signature.sha256 if signature else None,
            photo_sha256=photo.sha256 if photo else None, created_at=now)
        closed = await close_task(scope, attempt_id, Closing(Outcome.SERVED, closing.method, closing.served_at),
                                  now=now, meta=meta)
        receipt = await open_task_receipt(closed, now=now)
    return closed, receipt


