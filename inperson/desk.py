"""来院领取 at the reception desk: find the recipient's pickup task, check who is there, capture
their photo, fingerprint (指印) and signature, record how the documents were handed over, and
close the task as 直接送达 (民事诉讼法 arts. 87, 88) with its 送达回证.

Everything of one visit is one use case in one transaction: a refused identity, a missing
authorisation letter or a bad signature leaves nothing behind but stored blobs, which the orphan
sweep removes.
"""
from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from centre.handling import Closing, close_task
from centre.scope import Scope
from centre.tasks import record_task_event
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import Settings
from documents.storage import Storage
from inperson.captures import add_capture
from inperson.choices import CaptureKind, Collector
from inperson.models import InPersonRecord, TaskReceipt
from inperson.people import Person, matches_recipient, person
from inperson.receipt_records import open_task_receipt
from service.choices import OPEN_TASK_STATUSES, Channel, Outcome, ServiceMethod, TaskStatus
from service.models import Attempt, Recipient
from service.notices import linked_delivery
from service.signing import check_signature_png

DESK_PLACE = "本院诉讼服务中心（来院领取）"
MAX_RESULTS = 50

# (reference portrait, live photo) → an object with ``matched`` and ``distance`` (identity.face).
FaceMatch = Callable[[bytes, bytes], Awaitable[object]]


@dataclass(frozen=True)
class PickupRow:
    attempt_id: int
    case_number: str
    recipient_name: str
    recipient_role: str
    id_masked: str
    status: str
    assignee_id: int | None


def _desk(scope: Scope) -> None:
    if scope.centre_id is None:
        raise Forbidden("只有送达中心工作人员可以办理来院领取")


async def find_pickups(scope: Scope, *, case_number: str = "", name: str = "", id_number: str = "",
                       qr: str = "", settings: Settings) -> list[PickupRow]:
    """Open pickup tasks of the centre's courts, found by 案号, name, ID number or the notice's QR
    code (its short link); at least one must be given."""
    _desk(scope)
    filters: dict = {}
    if qr.strip():
        token = urlsplit(qr.strip()).path.rstrip("/").rsplit("/", 1)[-1]
        linked = await linked_delivery(token) if token else None
        if linked is None:
            return []
        filters["recipient_id"] = linked[1]
    if case_number.strip():
        filters["service__case__case_number__icontains"] = case_number.strip()[:64]
    if name.strip():
        filters["recipient__name"] = name.strip()[:100]
    if id_number.strip():
        try:
            found = person("-", id_number, None, settings=settings)
        except ValidationFailed:
            return []
        filters["recipient__id_number_index"] = found.id_index
    if not filters:
        raise ValidationFailed("请输入案号、姓名、证件号码或扫描通知书二维码", code="search_empty")
    attempts = await Attempt.filter(channel=Channel.PICKUP, centre_id=scope.centre_id,
                                    status__in=list(OPEN_TASK_STATUSES), **filters
                                    ).prefetch_related("recipient", "service__case").order_by("id").limit(MAX_RESULTS)
    return [PickupRow(a.id, a.service.case.case_number, a.recipient.name, a.recipient.role.label,
                      a.recipient.id_number_masked or "", a.status.label, a.assignee_id) for a in attempts]


async def pickup_task(scope: Scope, attempt_id: int) -> Attempt:
    _desk(scope)
    if not 0 < attempt_id < 2**31:
        raise NotFound("任务不存在")
    attempt = await Attempt.filter(id=attempt_id, centre_id=scope.centre_id, channel=Channel.PICKUP).first()
    if attempt is None:
        raise NotFound("任务不存在")
    return attempt


@dataclass(frozen=True)
class DeskVisit:
    """What the desk records of one visit."""

    collector: Collector
    name: str
    id_number: str
    live_photo: bytes
    fingerprint: bytes
    signature_png: bytes
    handed_on_paper: bool
    pushed_to_phone: bool
    id_type: str | None = None
    id_portrait: bytes | None = None          # optional: face match against the ID card's portrait
    authorisation: bytes | None = None        # 授权委托书, required for an agent
    authorisation_filename: str = "授权委托书.pdf"
    relation: str = ""                        # how the agent stands to the recipient, e.g. 律师


def _check_visit(visit: DeskVisit) -> None:
    problems = []
    if visit.collector not in (Collector.RECIPIENT, Collector.AGENT):
        problems.append({"field": "collector", "message": "来院领取的领取人应为受送达人本人或其受托人"})
    if not visit.live_photo:
        problems.append({"field": "live_photo", "message": "请拍摄领取人现场照片"})
    if not visit.fingerprint:
        problems.append({"field": "fingerprint", "message": "请拍摄或扫描领取人指印"})
    if not visit.signature_png:
        problems.append({"field": "signature", "message": "请领取人在签名板上签名"})
    if not (visit.handed_on_paper or visit.pushed_to_phone):
        problems.append({"field": "handover", "message": "请选择文书交付方式（纸质文书和/或推送至手机）"})
    if len(visit.relation) > 50:
        problems.append({"field": "relation", "message": "关系说明不超过50字"})
    if problems:
        raise ValidationFailed("领取信息不完整", code="pickup_incomplete", details=problems)
    if visit.collector is Collector.AGENT and not visit.authorisation:
        raise ValidationFailed("他人代为领取须上传受送达人签署的授权委托书", code="authorisation_required",
                               details=[{"field": "authorisation", "message": "请上传授权委托书"}])


async def _identity(visit: DeskVisit, recipient: Recipient, present: Person, face: FaceMatch | None) -> dict:
    """The identity proof stored with the record and printed on the receipt; refuses a mismatch."""
    proof: dict = {"method": "desk", "id_checked": True, "collector": visit.collector.value}
    if visit.collector is Collector.RECIPIENT:
        if not recipient.id_number_index:
            raise ValidationFailed("受送达人未登记证件号码，无法核验身份，请由书记员核实后办理",
                                   code="identity_unverifiable")
        if not matches_recipient(present, recipient):
            raise ValidationFailed("身份核验未通过：姓名或证件号码与受送达人登记信息不一致",
                                   code="identity_mismatch")
    else:
        agents = await Recipient.filter(agent_of_id=recipient.id).values_list("id_number_index", flat=True)
        proof["registered_agent"] = present.id_index in agents
        proof["authorisation"] = True
    if visit.id_portrait is not None and face is not None:
        result = await face(visit.id_portrait, visit.live_photo)
        proof["face"] = {"distance": getattr(result, "distance", None), "threshold": getattr(result, "threshold", None),
                         "matched": bool(getattr(result, "matched", False))}
        if not proof["face"]["matched"]:
            raise ValidationFailed("人脸比对未通过：现场照片与证件人像不是同一人", code="face_mismatch")
    return proof


async def serve_at_desk(scope: Scope, attempt_id: int, visit: DeskVisit, *, settings: Settings, storage: Storage,
                        face: FaceMatch | None, now: datetime, meta: RequestMeta) -> tuple[Attempt, TaskReceipt]:
    """One visit at the desk, from the identity check to the closed task and its receipt."""
    _desk(scope)
    _check_visit(visit)
    check_signature_png(visit.signature_png)
    attempt = await pickup_task(scope, attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    present = person(visit.name, visit.id_number, visit.id_type or recipient.id_type, settings=settings)
    proof = await _identity(visit, recipient, present, face)
    own = Scope(scope.staff_id, centre_id=scope.centre_id, assignee_id=scope.staff_id)
    async with in_transaction():
        attempt = await _take(own, attempt, now=now, meta=meta)
        await record_task_event(EventType.TASK_IDENTITY_VERIFIED, attempt, own, meta, {
            "collector": visit.collector.value, "name": present.name, "id_masked": present.id_masked,
            "face": proof.get("face"), "registered_agent": proof.get("registered_agent")})
        prefix = f"desk-{attempt.id}-{secrets.token_hex(6)}"
        files = [(CaptureKind.LIVE_PHOTO, visit.live_photo, "live.jpg"),
                 (CaptureKind.FINGERPRINT, visit.fingerprint, "fingerprint.jpg"),
                 (CaptureKind.SIGNATURE, visit.signature_png, "signature.png")]
        if visit.id_portrait is not None:
            files.append((CaptureKind.ID_PORTRAIT, visit.id_portrait, "id_portrait.jpg"))
        if visit.authorisation is not None:
            files.append((CaptureKind.AUTHORISATION, visit.authorisation, visit.authorisation_filename))
        captures = {}
        for kind, data, filename in files:
            filename = filename if "." in filename else f"{filename}.jpg"
            captures[kind] = await add_capture(own, attempt, kind, data, _named(filename, data), storage=storage,
                                               settings=settings, now=now, meta=meta,
                                               upload_id=f"{prefix}-{kind.value}"[:64])
        await InPersonRecord.create(
            attempt_id=attempt.id, collector=visit.collector, collector_name=present.name,
            collector_id_masked=present.id_masked, collector_id_index=present.id_index,
            relation=visit.relation.strip(), identity_proof=proof, handed_on_paper=visit.handed_on_paper,
            pushed_to_phone=visit.pushed_to_phone, place=DESK_PLACE,
            signature_sha256=captures[CaptureKind.SIGNATURE].sha256,
            photo_sha256=captures[CaptureKind.LIVE_PHOTO].sha256, created_at=now)
        closed = await close_task(own, attempt.id, Closing(Outcome.SERVED, ServiceMethod.DIRECT, now),
                                  now=now, meta=meta)
        receipt = await open_task_receipt(closed, now=now)
    return closed, receipt


def _named(filename: str, data: bytes) -> str:
    """Name a desk capture by what its bytes are (a camera may give PNG or JPEG)."""
    stem = filename.rsplit(".", 1)[0]
    if data.startswith(b"\x89PNG"):
        return f"{stem}.png"
    if data.startswith(b"%PDF-"):
        return f"{stem}.pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return f"{stem}.webp"
    return f"{stem}.jpg"


async def _take(own: Scope, attempt: Attempt, *, now: datetime, meta: RequestMeta) -> Attempt:
    """The desk's staff member takes the pickup task (the person is at the desk, whoever it was
    planned for), unless another one is already handling it."""
    locked = await Attempt.filter(id=attempt.id).select_for_update().first()
    if locked.status is TaskStatus.CLOSED:
        raise Conflict("任务已办结，不能重复办理", code="task_already_closed")
    if locked.status is TaskStatus.IN_PROGRESS and locked.assignee_id != own.staff_id:
        raise Conflict("其他送达员正在办理该任务，请由调度主管改派后再办理", code="task_taken")
    if locked.assignee_id == own.staff_id and locked.status is TaskStatus.IN_PROGRESS:
        return locked
    previous = locked.assignee_id
    await Attempt.filter(id=locked.id).update(assignee_id=own.staff_id, status=TaskStatus.IN_PROGRESS,
                                              assigned_at=now, started_at=now, updated_at=now,
                                              hand_back_reason="")
    taken = await Attempt.get(id=locked.id)
    if previous != own.staff_id:
        await record_task_event(EventType.TASK_ASSIGNED, taken, own, meta, {
            "assignee_id": own.staff_id, "previous_assignee_id": previous, "at_desk": True})
    await record_task_event(EventType.TASK_STARTED, taken, own, meta, {})
    return taken
