"""办理 / 办结: a process server works on their task — starts it, records each contact, keeps
notes, and closes it with an outcome. The legal effect of a successful task comes from the
legal-effect engine (service/legal_effect.py): a close the law would not recognise (a 调解书 left
by lodged service, a judgment "served" by telephone) is refused, not recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from centre.models import Contact
from centre.scope import Scope
from centre.tasks import not_open, record_task_event, task_in_scope
from core.errors import Conflict, Forbidden, ValidationFailed
from core.sql import fetch
from documents.models import Document
from service.choices import (
    METHODS_OF_CHANNEL,
    ContactKind,
    FailureReason,
    Outcome,
    ServiceMethod,
    ServiceStatus,
    TaskStatus,
)
from service.legal_effect import Effect, MailFacts, TaskFacts, task_effect
from service.models import Attempt

MAX_TEXT = 500
# A served time may be a little ahead of the server's clock (a phone's clock); not more.
CLOCK_SKEW = timedelta(minutes=5)


def _own(scope: Scope) -> None:
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以办理任务")


async def start_task(scope: Scope, attempt_id: int, *, now: datetime, meta: RequestMeta) -> Attempt:
    """待办理 → 办理中. Starting a task already in progress changes nothing."""
    _own(scope)
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "status" = \'in_progress\', "started_at" = $1, "updated_at" = $1 '
            'WHERE "id" = $2 AND "centre_id" = $3 AND "assignee_id" = $4 AND "status" = \'assigned\' RETURNING *'),
            now, attempt_id, scope.centre_id, scope.assignee_id)
        if not rows:
            attempt = await task_in_scope(scope, attempt_id)
            if attempt.status is TaskStatus.IN_PROGRESS:
                return attempt
            raise await not_open(scope, attempt_id)
        attempt = Attempt._init_from_db(**rows[0])
        await record_task_event(EventType.TASK_STARTED, attempt, scope, meta, {})
    return attempt


async def record_contact(scope: Scope, attempt_id: int, *, kind: ContactKind, contacted_at: datetime,
                         result: str, now: datetime, meta: RequestMeta) -> Contact:
    """One contact (what, when, result) on an open task; the first one starts the task."""
    _own(scope)
    result = (result or "").strip()
    if not result or len(result) > MAX_TEXT:
        raise ValidationFailed(f"请填写联系结果（不超过{MAX_TEXT}字）", code="contact_result_required")
    if contacted_at > now + CLOCK_SKEW:
        raise ValidationFailed("联系时间不能晚于当前时间", code="contacted_at_in_future")
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "status" = \'in_progress\', "started_at" = COALESCE("started_at", $1), '
            '"updated_at" = $1 WHERE "id" = $2 AND "centre_id" = $3 AND "assignee_id" = $4 '
            'AND "status" IN (\'assigned\', \'in_progress\') RETURNING *'),
            now, attempt_id, scope.centre_id, scope.assignee_id)
        if not rows:
            raise await not_open(scope, attempt_id)
        attempt = Attempt._init_from_db(**rows[0])
        contact = await Contact.create(attempt_id=attempt.id, staff_id=scope.staff_id, kind=kind,
                                       contacted_at=contacted_at, result=result, created_at=now)
        await record_task_event(EventType.TASK_CONTACT_RECORDED, attempt, scope, meta, {
            "contact_id": contact.id, "kind": kind.value, "contacted_at": contacted_at.isoformat(),
            "result": result})
    return contact


async def update_notes(scope: Scope, attempt_id: int, notes: str, *, now: datetime, meta: RequestMeta) -> Attempt:
    _own(scope)
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise ValidationFailed("备注不超过2000字", code="notes_too_long")
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "notes" = $1, "updated_at" = $2 WHERE "id" = $3 AND "centre_id" = $4 '
            'AND "assignee_id" = $5 AND "status" IN (\'assigned\', \'in_progress\') RETURNING *'),
            notes, now, attempt_id, scope.centre_id, scope.assignee_id)
        if not rows:
            raise await not_open(scope, attempt_id)
        attempt = Attempt._init_from_db(**rows[0])
        await record_task_event(EventType.TASK_NOTE_CHANGED, attempt, scope, meta, {"notes": notes})
    return attempt


@dataclass(frozen=True)
class Closing:
    """What a process server states when closing a task."""

    outcome: Outcome
    method: ServiceMethod | None = None     # SERVED: how
    served_at: datetime | None = None       # SERVED: when (signature, lodging, return card, publication)
    failure_reason: FailureReason | None = None
    failure_text: str = ""
    mail: MailFacts | None = None           # SERVED by mail: the return card's facts (法院专递规定)
    abroad: bool = False                    # SERVED by announcement: recipient without a domicile in China


def check_closing(attempt: Attempt, closing: Closing, *, now: datetime) -> None:
    problems: list[dict[str, str]] = []
    text = (closing.failure_text or "").strip()
    if len(text) > MAX_TEXT:
        problems.append({"field": "failure_text", "message": f"说明不超过{MAX_TEXT}字"})
    if closing.outcome is Outcome.SERVED:
        allowed = METHODS_OF_CHANNEL.get(attempt.channel, ())
        if closing.method not in allowed:
            problems.append({"field": "method", "message": f"{attempt.channel.label}任务的送达方式应为："
                             + "、".join(m.label for m in allowed)})
        if closing.served_at is None:
            problems.append({"field": "served_at", "message": "请填写送达时间"})
        elif closing.served_at.tzinfo is None:
            problems.append({"field": "served_at", "message": "送达时间须带时区"})
        elif closing.served_at > now + CLOCK_SKEW:
            problems.append({"field": "served_at", "message": "送达时间不能晚于当前时间"})
        elif closing.served_at < attempt.created_at - timedelta(days=1):
            problems.append({"field": "served_at", "message": "送达时间不能早于任务创建时间"})
        if closing.failure_reason is not None:
            problems.append({"field": "failure_reason", "message": "送达成功时不填写失败原因"})
    else:
        if closing.failure_reason is None:
            problems.append({"field": "failure_reason", "message": "请选择失败原因"})
        elif closing.failure_reason is FailureReason.OTHER and not text:
            problems.append({"field": "failure_text", "message": "选择“其他”时须说明原因"})
    if problems:
        raise ValidationFailed("办结信息有误", code="closing_invalid", details=problems)


async def close_task(scope: Scope, attempt_id: int, closing: Closing, *, now: datetime,
                     meta: RequestMeta) -> Attempt:
    """办结. A successful close records the legal effect for the recipient; when every recipient
    of the service is then served, the service is complete."""
    _own(scope)
    attempt = await task_in_scope(scope, attempt_id)
    return await _close(scope, attempt, closing, now=now, meta=meta,
                        where='"centre_id" = $11 AND "assignee_id" = $12 AND "status" IN (\'assigned\', \'in_progress\')',
                        params=[scope.centre_id, scope.assignee_id])


async def close_by_court(scope: Scope, attempt_id: int, closing: Closing, *, now: datetime,
                         meta: RequestMeta) -> Attempt:
    """办结 by the court itself, for a task no centre handles (entrustment to a court not on this
    platform: the clerk records the other court's result by hand). Same checks and effect."""
    if scope.court_id is None:
        raise Forbidden("只有法院工作人员可以登记该结果")
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.centre_id is not None:
        raise Conflict("该任务由送达中心办理", code="task_of_centre")
    return await _close(scope, attempt, closing, now=now, meta=meta,
                        where='"court_id" = $11 AND "centre_id" IS NULL AND "status" = \'in_progress\'',
                        params=[scope.court_id])


async def _close(scope: Scope, attempt: Attempt, closing: Closing, *, now: datetime, meta: RequestMeta,
                 where: str, params: list) -> Attempt:
    if attempt.status is TaskStatus.CLOSED:
        raise Conflict("任务已办结，不能重复办结", code="task_already_closed")
    check_closing(attempt, closing, now=now)
    effect = await _effect_of(attempt, closing)
    served = closing.outcome is Outcome.SERVED
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "status" = \'closed\', "outcome" = $1, "method" = $2, "served_at" = $3, '
            '"failure_reason" = $4, "failure_text" = $5, "effective_at" = $6, "effect_rule" = $7, '
            '"effect_reason" = $8, "closed_at" = $9, "updated_at" = $9 '
            f'WHERE "id" = $10 AND {where} RETURNING *'),
            closing.outcome.value, closing.method.value if served else None, closing.served_at if served else None,
            None if served else closing.failure_reason.value, "" if served else closing.failure_text.strip(),
            effect.at if effect else None, effect.rule if effect else "", effect.reason if effect else "",
            now, attempt.id, *params)
        if not rows:
            raise await not_open(scope, attempt.id)
        attempt = Attempt._init_from_db(**rows[0])
        data = {"channel": attempt.channel.value, "outcome": closing.outcome.value}
        if served:
            data |= {"method": closing.method.value, "served_at": closing.served_at.isoformat(),
                     "effective_at": effect.at.isoformat(), "effect_rule": effect.rule}
        else:
            data |= {"failure_reason": closing.failure_reason.value, "failure_text": attempt.failure_text}
        await record_task_event(EventType.TASK_CLOSED, attempt, scope, meta, data)
        if served:
            await complete_service_if_served(attempt.service_id)
    return attempt


async def _effect_of(attempt: Attempt, closing: Closing) -> Effect | None:
    """The task's effect over the service's documents: the latest of them (service on a recipient
    is complete once every document is served); a refusal of the law is a 422."""
    if closing.outcome is not Outcome.SERVED:
        return None
    kinds = await Document.filter(service_documents__service_id=attempt.service_id).values_list("kind", flat=True)
    facts = TaskFacts(attempt.channel, closing.method, closing.served_at, closing.mail, closing.abroad)
    effects = [task_effect(kind, facts) for kind in dict.fromkeys(kinds)]
    refused = [e for e in effects if not e.effective]
    if refused:
        raise ValidationFailed(refused[0].reason, code="not_effective_in_law",
                               details=[{"field": "method", "message": f"{refused[0].reason}（{refused[0].rule}）"}])
    latest = max(effects, key=lambda e: e.at)
    rules = "；".join(dict.fromkeys(e.rule for e in effects))
    return Effect(True, latest.at, rules, latest.reason, attempt.channel)


_COMPLETE = (
    f'UPDATE "service" SET "status" = \'{ServiceStatus.COMPLETED.value}\' WHERE "id" = $1 '
    f'AND "status" = \'{ServiceStatus.IN_PROGRESS.value}\' '
    'AND NOT EXISTS (SELECT 1 FROM "recipient" "r" WHERE "r"."service_id" = $1 '
    'AND NOT EXISTS (SELECT 1 FROM "delivery" "d" WHERE "d"."recipient_id" = "r"."id" AND "d"."state" = \'signed\') '
    'AND NOT EXISTS (SELECT 1 FROM "attempt" "a" WHERE "a"."recipient_id" = "r"."id" AND "a"."outcome" = \'served\'))')


async def complete_service_if_served(service_id: int) -> None:
    """Every recipient signed electronically or was served by a task: the service is complete."""
    await fetch(Attempt, _COMPLETE, service_id)
