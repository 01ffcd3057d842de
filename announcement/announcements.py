"""Announcement service (公告送达), from the clerk's request to the paper's publication.

A clerk requests it for a recipient who has not been served (民事诉讼法 art. 95: for a recipient
下落不明 or unreachable by every other way); it becomes an announcement task in the court's
service centre, dispatched like any other. The task's holder (or the clerk) records the fee
contact and edits the text; the holder submits it to the paper. The paper's 已刊登 callback
attaches the published page as evidence and closes the task as served through
``centre.handling.close_task``, so the legal-effect engine decides the effective time
(publication + 30 days; + 60 days abroad, service/legal_effect.py).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from announcement.choices import EDITABLE, OPEN, AnnouncementStatus, FeePayer, FeeStatus, PaperStatus
from announcement.models import Announcement
from announcement.publishers.publisher import Publisher, Submission
from announcement.text import TextFacts, check_text, draft_text, title_of
from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.evidence import attach_evidence
from centre.handling import Closing, close_task
from centre.scope import Scope
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from documents.models import Document
from documents.storage import Storage
from service.choices import Channel, Outcome, ServiceMethod, ServiceStatus, TaskStatus
from service.models import Attempt, Court, Delivery, Recipient

BEIJING = ZoneInfo("Asia/Shanghai")
# How long the paper may take from submission to publication before the announcement is flagged.
PUBLICATION_DEADLINE = timedelta(days=15)
# The public page keeps a notice until this long after it took effect (视为送达), then withdraws it.
PUBLIC_RETENTION = timedelta(days=30)
MAX_NOTE = 500


async def announcement_in_scope(scope: Scope, announcement_id: int) -> Announcement:
    """The announcement, if ``scope`` covers its task; else 404."""
    if not 0 < announcement_id < 2**31:
        raise NotFound("公告不存在")
    found = await Announcement.filter(id=announcement_id, **scope.attempt_filter("attempt__")).first()
    if found is None:
        raise NotFound("公告不存在")
    return found


async def announcements_of(scope: Scope, *, limit: int = 200) -> list[Announcement]:
    return await Announcement.filter(**scope.attempt_filter("attempt__")).order_by("-id").limit(limit)


async def recipient_attempts(court_id: int, recipient_id: int) -> tuple[Recipient, list[Attempt]]:
    """The recipient of ``court_id`` and the attempts made so far (what the clerk reviews)."""
    if not 0 < recipient_id < 2**31:
        raise NotFound("受送达人不存在")
    recipient = await Recipient.filter(id=recipient_id, service__court_id=court_id).first()
    if recipient is None:
        raise NotFound("受送达人不存在")
    return recipient, await Attempt.filter(recipient_id=recipient.id).order_by("id")


async def _served(recipient_id: int) -> bool:
    return (await Attempt.filter(recipient_id=recipient_id, outcome=Outcome.SERVED).exists()
            or await Delivery.filter(recipient_id=recipient_id, state="signed").exists())


def _check_collect_at(collect_at: str) -> str:
    collect_at = (collect_at or "").strip()
    if len(collect_at) > 200:
        raise ValidationFailed("领取地点不超过200字", code="collect_at_too_long")
    return collect_at


async def request_announcement(scope: Scope, recipient_id: int, *, abroad: bool, collect_at: str, now: datetime,
                               meta: RequestMeta, due_days: int = 60) -> Announcement:
    """书记员发起公告送达: an announcement task and its draft text; refused for a recipient already
    served, with an announcement under way, or whose service was revoked."""
    if scope.court_id is None:
        raise Forbidden("只有法院工作人员可以发起公告送达")
    collect_at = _check_collect_at(collect_at)
    recipient, attempts = await recipient_attempts(scope.court_id, recipient_id)
    service = await recipient.service.prefetch_related("case")
    if service.status is ServiceStatus.REVOKED:
        raise Conflict("该送达已撤回，不能公告送达", code="service_revoked")
    if await _served(recipient.id):
        raise Conflict("该受送达人已送达成功，不能再公告送达", code="recipient_already_served")
    if any(a.channel is Channel.ANNOUNCEMENT and a.status is not TaskStatus.CLOSED for a in attempts):
        raise Conflict("该受送达人已有进行中的公告送达", code="announcement_open")
    court = await Court.get(id=scope.court_id)
    parties = tuple(await Recipient.filter(service_id=service.id, agent_of_id=None).order_by("position")
                    .values_list("name", flat=True))
    documents = tuple(await Document.filter(service_documents__service_id=service.id)
                      .order_by("service_documents__position").values_list("title", flat=True))
    facts = TextFacts(court.name, service.case.case_number, recipient.name, parties, service.case.cause, documents,
                      collect_at, abroad)
    async with in_transaction():
        # Two clerks requesting at once: the recipient's row serialises them, the second sees the first.
        await Recipient.select_for_update().get(id=recipient.id)
        if await Attempt.filter(recipient_id=recipient.id, channel=Channel.ANNOUNCEMENT).exclude(
                status=TaskStatus.CLOSED).exists():
            raise Conflict("该受送达人已有进行中的公告送达", code="announcement_open")
        attempt = await Attempt.create(
            court_id=court.id, centre_id=court.centre_id, service_id=service.id, recipient_id=recipient.id,
            channel=Channel.ANNOUNCEMENT, status=TaskStatus.UNASSIGNED, due_at=now + timedelta(days=due_days),
            created_at=now, updated_at=now)
        found = await Announcement.create(attempt=attempt, court_id=court.id, abroad=abroad, collect_at=collect_at,
                                          title=title_of(facts), text=draft_text(facts), created_at=now,
                                          updated_at=now)
        await _event(EventType.ANNOUNCEMENT_REQUESTED, found, attempt, scope.actor, meta, {"abroad": abroad})
    return found


def _may_write(scope: Scope) -> None:
    if scope.court_id is None and scope.assignee_id is None:
        raise Forbidden("公告由书记员或承办的送达员办理")


async def record_fee(scope: Scope, announcement_id: int, *, payer: FeePayer, status: FeeStatus, note: str,
                     now: datetime, meta: RequestMeta) -> Announcement:
    """联系缴费: who pays the paper's fee and whether it is paid or waived."""
    _may_write(scope)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"说明不超过{MAX_NOTE}字", code="fee_note_too_long")
    if status is not FeeStatus.PENDING and payer is FeePayer.UNDECIDED:
        raise ValidationFailed("请先选择由谁缴纳公告费", code="fee_payer_required")
    found = await announcement_in_scope(scope, announcement_id)
    async with in_transaction():
        updated = await Announcement.filter(id=found.id, status__in=EDITABLE).update(
            fee_payer=payer, fee_status=status, fee_note=note, updated_at=now)
        if not updated:
            raise Conflict("公告已提交报社，不能修改缴费情况", code="announcement_not_editable")
        await _event(EventType.ANNOUNCEMENT_FEE_RECORDED, found, await found.attempt, scope.actor, meta,
                     {"payer": payer.value, "status": status.value})
    return await Announcement.get(id=found.id)


async def edit_text(scope: Scope, announcement_id: int, *, title: str, text: str, now: datetime,
                    meta: RequestMeta) -> Announcement:
    _may_write(scope)
    title, text = check_text(title, text)
    found = await announcement_in_scope(scope, announcement_id)
    async with in_transaction():
        updated = await Announcement.filter(id=found.id, status__in=EDITABLE).update(title=title, text=text,
                                                                                    updated_at=now)
        if not updated:
            raise Conflict("公告已提交报社，不能修改内容", code="announcement_not_editable")
        await _event(EventType.ANNOUNCEMENT_TEXT_CHANGED, found, await found.attempt, scope.actor, meta, {})
    return await Announcement.get(id=found.id)


async def submit_announcement(scope: Scope, announcement_id: int, *, publisher: Publisher, callback_url: str,
                              now: datetime, meta: RequestMeta) -> Announcement:
    """发排: send the text to the paper. The task must have its process server (who the paper's
    publication will close it for) and the fee must be settled."""
    _may_write(scope)
    found = await announcement_in_scope(scope, announcement_id)
    attempt = await found.attempt
    if found.status not in EDITABLE:
        raise Conflict(f"公告当前状态为{found.status.label}，不能提交", code="announcement_not_editable")
    if attempt.status not in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS) or attempt.assignee_id is None:
        raise Conflict("公告送达任务尚未分派承办人，请先在送达中心分派", code="announcement_unassigned")
    if found.fee_status is FeeStatus.PENDING:
        raise ValidationFailed("请先记录公告费已缴纳或免交", code="fee_pending")
    check_text(found.title, found.text)
    court = await Court.get(id=found.court_id)
    case_number = (await attempt.service.prefetch_related("case")).case.case_number
    ref = await publisher.submit(Submission(court.name, case_number, found.title, found.text, callback_url))
    async with in_transaction():
        updated = await Announcement.filter(id=found.id, status__in=EDITABLE).update(
            status=AnnouncementStatus.SUBMITTED, paper_ref=ref, submitted_at=now, returned_reason="",
            overdue_at=None, updated_at=now)
        if not updated:
            raise Conflict("公告已提交", code="announcement_not_editable")
        await _event(EventType.ANNOUNCEMENT_SUBMITTED, found, attempt, scope.actor, meta,
                     {"publisher": publisher.name, "paper_ref": ref})
    return await Announcement.get(id=found.id)


async def receive_callback(body: bytes, signature: str, *, publisher: Publisher, storage: Storage,
                           max_evidence_bytes: int, now: datetime, meta: RequestMeta) -> Announcement:
    """The paper's callback: 已排版, 已刊登 (the page attached, the task closed as served), 退回.
    A repeated callback changes nothing."""
    event = publisher.read_callback(body, signature)
    found = await Announcement.get_or_none(paper_ref=event.ref)
    if found is None:
        raise NotFound("公告不存在")
    attempt = await found.attempt
    system = Actor.system()
    if event.status is PaperStatus.TYPESET:
        async with in_transaction():
            if await Announcement.filter(id=found.id, status=AnnouncementStatus.SUBMITTED).update(
                    status=AnnouncementStatus.TYPESET, typeset_at=now, updated_at=now):
                await _event(EventType.ANNOUNCEMENT_TYPESET, found, attempt, system, meta, {})
    elif event.status is PaperStatus.RETURNED:
        async with in_transaction():
            if await Announcement.filter(id=found.id, status__in=OPEN).update(
                    status=AnnouncementStatus.RETURNED, returned_reason=event.reason, updated_at=now):
                await _event(EventType.ANNOUNCEMENT_RETURNED, found, attempt, system, meta, {"reason": event.reason})
    elif found.status in OPEN:
        await _published(found, attempt, event.published_on, event.edition, event.page, publisher=publisher,
                         storage=storage, max_evidence_bytes=max_evidence_bytes, now=now, meta=meta)
    return await Announcement.get(id=found.id)


async def _published(found: Announcement, attempt: Attempt, published_on: date, edition: str, page: str, *,
                     publisher: Publisher, storage: Storage, max_evidence_bytes: int, now: datetime,
                     meta: RequestMeta) -> None:
    if published_on > now.astimezone(BEIJING).date():
        raise ValidationFailed("刊登日期晚于今天", code="callback_invalid")
    if attempt.assignee_id is None or attempt.status not in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS):
        # Handed back since the submission: a 409 the paper retries once the task has a holder again.
        raise Conflict("公告送达任务当前无承办人，请分派后由报社重发回调", code="announcement_unassigned")
    data, filename = await publisher.fetch_page(found.paper_ref)
    # The task is closed as its process server: the paper acts on their submission.
    scope = Scope(attempt.assignee_id, centre_id=attempt.centre_id, assignee_id=attempt.assignee_id)
    served_at = datetime.combine(published_on, time(0), BEIJING)
    async with in_transaction():
        evidence = await attach_evidence(scope, attempt.id, data=data, filename=filename,
                                         description=f"人民法院报 {published_on.isoformat()} {edition} {page}"[:200],
                                         storage=storage, max_bytes=max_evidence_bytes, now=now, meta=meta)
        closed = await close_task(scope, attempt.id, Closing(Outcome.SERVED, ServiceMethod.ANNOUNCEMENT, served_at,
                                                             abroad=found.abroad), now=now, meta=meta)
        await Announcement.filter(id=found.id).update(
            status=AnnouncementStatus.PUBLISHED, published_on=published_on, edition=edition, page=page,
            evidence_id=evidence.id, public_until=closed.effective_at + PUBLIC_RETENTION, updated_at=now)
        await _event(EventType.ANNOUNCEMENT_PUBLISHED, found, attempt, scope.actor, meta, {
            "published_on": published_on.isoformat(), "edition": edition, "page": page,
            "effective_at": closed.effective_at.isoformat(), "effect_rule": closed.effect_rule})


async def flag_overdue(*, now: datetime, deadline: timedelta = PUBLICATION_DEADLINE) -> int:
    """逾期未刊登: submitted longer than ``deadline`` ago and not published nor returned."""
    late = await Announcement.filter(status__in=OPEN, submitted_at__lt=now - deadline, overdue_at=None)
    for found in late:
        async with in_transaction():
            if await Announcement.filter(id=found.id, overdue_at=None).update(overdue_at=now):
                await _event(EventType.ANNOUNCEMENT_OVERDUE, found, await found.attempt,
                             Actor.system(), RequestMeta.none(),
                             {"submitted_at": found.submitted_at.isoformat()})
    return len(late)


async def public_notices(court_id: int, *, now: datetime, limit: int = 100) -> list[Announcement]:
    """送达网: the court's published announcements still within their retention period."""
    return await (Announcement.filter(court_id=court_id, status=AnnouncementStatus.PUBLISHED, public_until__gt=now)
                  .order_by("-published_on", "-id").limit(limit))


async def _event(type: EventType, found: Announcement, attempt: Attempt, actor: Actor, meta: RequestMeta,
                 data: dict) -> None:
    await record_event(type, court_id=attempt.court_id, service_id=attempt.service_id,
                       recipient_id=attempt.recipient_id, actor=actor, meta=meta,
                       data={"attempt_id": attempt.id, "announcement_id": found.id, **data})
