"""委托送达 use cases: entrust, the letter and the package, the result by hand, overdue flags.

The receiving court serves within ten days of receiving the letter and documents (民诉法解释
art. 134); its close is A's result through ``centre.handling`` (on the platform, B's process
server closes the very attempt; off it, A's clerk records B's 送达回证 with ``close_by_court``).
The effect is 民事诉讼法 art. 91 / 民诉法解释 art. 134: the date the recipient signed B's receipt.
Off the platform the ten days are counted from the letter's date: A cannot know when B received
it, so the deadline is conservative.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.evidence import attach_evidence
from centre.handling import Closing, close_by_court
from centre.scope import Scope
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import Settings
from documents.models import Document
from documents.storage import Storage
from entrusted.letter import LetterData, sealed_letter
from entrusted.models import Entrustment
from identity.pii_keys import pii_cipher
from receipts.seal import Sealer
from service.choices import Channel, FailureReason, Outcome, ServiceMethod, ServiceStatus, TaskStatus
from service.models import Attempt, Court, Delivery, Recipient
from service.recipient_address import open_address

BEIJING = ZoneInfo("Asia/Shanghai")
SERVE_WITHIN = timedelta(days=10)   # 民诉法解释 art. 134
MAX_NAME = 100
MAX_ADDRESS = 200


async def entrustment_in_scope(scope: Scope, entrustment_id: int) -> Entrustment:
    """A's view of its entrustment (court scope); 404 for anyone else."""
    if scope.court_id is None or not 0 < entrustment_id < 2**31:
        raise NotFound("委托送达不存在")
    found = await Entrustment.filter(id=entrustment_id, from_court_id=scope.court_id).first()
    if found is None:
        raise NotFound("委托送达不存在")
    return found


async def entrustments_of(court_id: int, *, limit: int = 200) -> list[Entrustment]:
    return await Entrustment.filter(from_court_id=court_id).order_by("-id").limit(limit).prefetch_related("attempt")


async def entrust(scope: Scope, recipient_id: int, *, to_court_id: int | None, to_court_name: str,
                  return_address: str, sealer: Sealer, storage: Storage, settings: Settings, now: datetime,
                  meta: RequestMeta) -> Entrustment:
    """委托送达: A's clerk entrusts one recipient to court B (on the platform by id, else by name)."""
    if scope.court_id is None:
        raise Forbidden("只有法院工作人员可以发起委托送达")
    return_address = (return_address or "").strip()
    to_court_name = (to_court_name or "").strip()
    if not return_address or len(return_address) > MAX_ADDRESS:
        raise ValidationFailed(f"请填写回执地址（不超过{MAX_ADDRESS}字）", code="return_address_required")
    to_court = None
    if to_court_id is not None:
        to_court = await Court.get_or_none(id=to_court_id) if 0 < to_court_id < 2**31 else None
        if to_court is None:
            raise ValidationFailed("受托法院不存在，请核对后重新选择；不在本平台的法院请填写法院名称",
                                   code="court_not_found")
        if to_court.id == scope.court_id:
            raise ValidationFailed("不能委托本院送达", code="court_is_self")
        if to_court.centre_id is None:
            raise Conflict("受托法院尚未设立送达中心", code="court_without_centre")
        to_court_name = to_court.name
    elif not to_court_name or len(to_court_name) > MAX_NAME:
        raise ValidationFailed("请选择受托法院或填写法院名称", code="court_required")
    if not 0 < recipient_id < 2**31:
        raise NotFound("受送达人不存在")
    recipient = await Recipient.filter(id=recipient_id, service__court_id=scope.court_id).first()
    if recipient is None:
        raise NotFound("受送达人不存在")
    service = await recipient.service.prefetch_related("case")
    if service.status is ServiceStatus.REVOKED:
        raise Conflict("该送达已撤回", code="service_revoked")
    if (await Attempt.filter(recipient_id=recipient.id, outcome=Outcome.SERVED).exists()
            or await Delivery.filter(recipient_id=recipient.id, state="signed").exists()):
        raise Conflict("该受送达人已送达成功，不能再委托送达", code="recipient_already_served")
    if await Attempt.filter(recipient_id=recipient.id, channel=Channel.ENTRUSTED).exclude(
            status=TaskStatus.CLOSED).exists():
        raise Conflict("该受送达人已有进行中的委托送达", code="entrustment_open")
    court = await Court.get(id=scope.court_id)
    documents = tuple(await Document.filter(service_documents__service_id=service.id)
                      .order_by("service_documents__position").values_list("title", flat=True))
    due_at = now + SERVE_WITHIN
    letter_no = f"（{now.astimezone(BEIJING).year}）{court.code}委送{recipient.id}号"
    pdf = await sealed_letter(LetterData(letter_no, court.name, to_court_name, service.case.case_number, recipient.name,
                                   open_address(pii_cipher(settings), recipient), documents, due_at.astimezone(BEIJING), return_address,
                                   now.astimezone(BEIJING)), sealer)
    key, _ = storage.put(pdf)
    async with in_transaction():
        await Recipient.select_for_update().get(id=recipient.id)   # serialises two requests at once
        if await Attempt.filter(recipient_id=recipient.id, channel=Channel.ENTRUSTED).exclude(
                status=TaskStatus.CLOSED).exists():
            raise Conflict("该受送达人已有进行中的委托送达", code="entrustment_open")
        attempt = await Attempt.create(
            court_id=court.id, centre_id=to_court.centre_id if to_court else None, service_id=service.id,
            recipient_id=recipient.id, channel=Channel.ENTRUSTED,
            status=TaskStatus.UNASSIGNED if to_court else TaskStatus.IN_PROGRESS,
            area=to_court_name[:64], due_at=due_at, created_at=now, updated_at=now,
            started_at=None if to_court else now)
        found = await Entrustment.create(attempt=attempt, from_court_id=court.id, to_court=to_court,
                                         to_court_name=to_court_name, return_address=return_address,
                                         letter_no=letter_no, letter_sha256=key, due_at=due_at, created_at=now)
        await _event(EventType.ENTRUSTMENT_CREATED, found, attempt, scope.actor, meta, {
            "to_court": to_court_name, "on_platform": to_court is not None, "letter_sha256": key})
    return found


async def letter_pdf(scope: Scope, entrustment_id: int, *, storage: Storage) -> tuple[Entrustment, bytes]:
    found = await entrustment_in_scope(scope, entrustment_id)
    return found, storage.get(found.letter_sha256)


async def package_zip(scope: Scope, entrustment_id: int, *, storage: Storage) -> tuple[Entrustment, bytes]:
    """The 函 and the documents, for a court not on this platform."""
    found, letter = await letter_pdf(scope, entrustment_id, storage=storage)
    attempt = await found.attempt
    documents = await Document.filter(service_documents__service_id=attempt.service_id).order_by(
        "service_documents__position")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("01-委托送达函.pdf", letter)
        for i, document in enumerate(documents, 2):
            title = "".join(c for c in document.title if c not in '\\/:*?"<>|')[:80]
            archive.writestr(f"{i:02d}-{title}.pdf", storage.get(document.sha256))
    return found, buffer.getvalue()


async def record_result(scope: Scope, entrustment_id: int, *, served: bool, served_at: datetime | None,
                        failure_text: str, receipt: tuple[bytes, str] | None, storage: Storage,
                        max_evidence_bytes: int, now: datetime, meta: RequestMeta) -> Attempt:
    """登记受托法院的送达结果 (a court not on this platform): B's 送达回证 as evidence, then the close."""
    found = await entrustment_in_scope(scope, entrustment_id)
    if found.to_court_id is not None:
        raise Conflict("受托法院在本平台办理，结果由其送达中心办结后自动回传", code="entrustment_on_platform")
    if served and receipt is None:
        raise ValidationFailed("请上传受托法院的送达回证", code="receipt_required")
    closing = (Closing(Outcome.SERVED, ServiceMethod.ENTRUSTED, served_at) if served
               else Closing(Outcome.FAILED, failure_reason=FailureReason.OTHER, failure_text=failure_text))
    async with in_transaction():
        if receipt is not None:
            await attach_evidence(scope, found.attempt_id, data=receipt[0], filename=receipt[1],
                                  description="受托法院送达回证", storage=storage, max_bytes=max_evidence_bytes,
                                  now=now, meta=meta)
        return await close_by_court(scope, found.attempt_id, closing, now=now, meta=meta)


async def flag_overdue(*, now: datetime) -> int:
    """逾期: not closed ten days after the letter (民诉法解释 art. 134)."""
    late = await Entrustment.filter(due_at__lt=now, overdue_at=None).exclude(attempt__status=TaskStatus.CLOSED)
    for found in late:
        async with in_transaction():
            if await Entrustment.filter(id=found.id, overdue_at=None).update(overdue_at=now):
                await _event(EventType.ENTRUSTMENT_OVERDUE, found, await found.attempt, Actor.system(),
                             RequestMeta.none(), {"due_at": found.due_at.isoformat()})
    return len(late)


async def _event(type: EventType, found: Entrustment, attempt: Attempt, actor: Actor, meta: RequestMeta,
                 data: dict) -> None:
    await record_event(type, court_id=attempt.court_id, service_id=attempt.service_id,
                       recipient_id=attempt.recipient_id, actor=actor, meta=meta,
                       data={"attempt_id": attempt.id, "entrustment_id": found.id, **data})
