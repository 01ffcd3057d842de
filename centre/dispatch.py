"""送达分派: giving unassigned tasks to process servers, taking them back, handing them back.

Every write is a compare-and-set on the task's status inside one transaction with its events:
two dispatchers assigning the same task at once, one wins and the other is told which tasks
were taken; nothing is half-assigned.
"""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta, announce, event_row
from centre.scope import Scope
from centre.staff import handler
from centre.tasks import not_open, record_task_event
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.sql import fetch, insert_rows
from service.choices import TaskStatus
from service.models import Attempt

MAX_BATCH = 1000

_ASSIGN = (
    'UPDATE "attempt" SET "assignee_id" = $1, "status" = \'assigned\', "assigned_at" = $2, "updated_at" = $2, '
    '"hand_back_reason" = \'\' WHERE "id" = ANY($3::int[]) AND "centre_id" = $4 '
    'AND "status" IN (\'unassigned\', \'handed_back\') AND "delivery_id" IS NULL '
    'RETURNING "id", "court_id", "service_id", "recipient_id"')


async def assign_tasks(scope: Scope, attempt_ids: list[int], process_server_id: int, *, now: datetime,
                       meta: RequestMeta) -> list[int]:
    """Assign unassigned (or handed-back) tasks of the dispatcher's centre, all or none."""
    ids = sorted(set(attempt_ids))
    if not scope.dispatches:
        raise Forbidden("只有调度主管可以分派任务")
    if not ids:
        raise ValidationFailed("请选择要分派的任务", code="no_tasks_selected")
    if len(ids) > MAX_BATCH:
        raise ValidationFailed(f"一次最多分派{MAX_BATCH}件任务", code="too_many_tasks")
    if any(not 0 < i < 2**31 for i in ids):
        raise ValidationFailed("任务编号无效", code="task_id_invalid")
    target = await handler(scope.centre_id, process_server_id)
    if target is None:
        raise ValidationFailed("找不到该送达员（须为本中心在职人员）", code="process_server_unknown")
    async with in_transaction():
        rows = await fetch(Attempt, _ASSIGN, target.id, now, ids, scope.centre_id)
        if len(rows) != len(ids):
            taken = sorted(set(ids) - {r["id"] for r in rows})
            raise Conflict(await _why_not_assignable(scope, taken), code="tasks_not_assignable",
                           details={"task_ids": taken})
        events = await insert_rows([
            event_row(EventType.TASK_ASSIGNED, court_id=r["court_id"], service_id=r["service_id"],
                      recipient_id=r["recipient_id"], actor=scope.actor, meta=meta,
                      data={"attempt_id": r["id"], "assignee_id": target.id, "assignee": target.display_name})
            for r in rows])
        for event in events:
            await announce(event)
    return [r["id"] for r in rows]


async def _why_not_assignable(scope: Scope, ids: list[int]) -> str:
    found = {a.id: a for a in await Attempt.filter(id__in=ids, centre_id=scope.centre_id)}
    missing = [i for i in ids if i not in found]
    if missing:
        return f"任务 {', '.join(map(str, missing[:10]))} 不存在或不属于本中心，全部未分派"
    done = [i for i in ids if found[i].status is TaskStatus.CLOSED]
    if done:
        return f"任务 {', '.join(map(str, done[:10]))} 已办结，全部未分派"
    return f"任务 {', '.join(map(str, ids[:10]))} 已被分派（可能是其他调度同时操作），全部未分派，请刷新后重试"


async def reassign_task(scope: Scope, attempt_id: int, process_server_id: int, *, now: datetime,
                        meta: RequestMeta) -> Attempt:
    """Give an assigned (or in-progress) task to another process server."""
    if not scope.dispatches:
        raise Forbidden("只有调度主管可以改派任务")
    target = await handler(scope.centre_id, process_server_id)
    if target is None:
        raise ValidationFailed("找不到该送达员（须为本中心在职人员）", code="process_server_unknown")
    async with in_transaction():
        attempt = await Attempt.filter(id=attempt_id, centre_id=scope.centre_id, delivery_id=None
                                       ).select_for_update().first()
        if attempt is None:
            raise NotFound("任务不存在")
        if attempt.status not in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS):
            raise Conflict(f"任务当前状态为{attempt.status.label}，不能改派", code="task_not_reassignable")
        if attempt.assignee_id == target.id:
            return attempt
        previous = attempt.assignee_id
        await Attempt.filter(id=attempt.id).update(assignee_id=target.id, assigned_at=now, updated_at=now)
        await record_task_event(EventType.TASK_ASSIGNED, attempt, scope, meta, {
            "attempt_id": attempt.id, "assignee_id": target.id, "assignee": target.display_name,
            "previous_assignee_id": previous})
    return await Attempt.get(id=attempt.id)


async def hand_back_task(scope: Scope, attempt_id: int, reason: str, *, now: datetime,
                         meta: RequestMeta) -> Attempt:
    """退回: the process server returns their task to dispatch with a reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed("请填写退回原因（不超过500字）", code="hand_back_reason_required")
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以退回任务")
    async with in_transaction():
        rows = await fetch(Attempt, (
            'UPDATE "attempt" SET "status" = \'handed_back\', "assignee_id" = NULL, "hand_back_reason" = $1, '
            '"updated_at" = $2 WHERE "id" = $3 AND "centre_id" = $4 AND "assignee_id" = $5 '
            'AND "status" IN (\'assigned\', \'in_progress\') RETURNING *'),
            reason, now, attempt_id, scope.centre_id, scope.assignee_id)
        if not rows:
            raise await not_open(scope, attempt_id)
        attempt = Attempt._init_from_db(**rows[0])
        await record_task_event(EventType.TASK_HANDED_BACK, attempt, scope, meta,
                                {"attempt_id": attempt.id, "reason": reason})
    return attempt
