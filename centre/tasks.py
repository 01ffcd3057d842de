"""What every task use case needs: the task as the caller may see it, why a write changed
nothing, and the task's audit event."""
from __future__ import annotations

from audit.choices import EventType
from audit.events import RequestMeta, record_event
from centre.scope import Scope
from core.errors import Conflict, NotFound
from service.models import Attempt


async def task_in_scope(scope: Scope, attempt_id: int) -> Attempt:
    """The attempt, if ``scope`` covers it; else 404 (whether it exists is not told)."""
    if not 0 < attempt_id < 2**31:
        raise NotFound("任务不存在")
    attempt = await Attempt.filter(id=attempt_id, **scope.attempt_filter()).first()
    if attempt is None:
        raise NotFound("任务不存在")
    return attempt


async def not_open(scope: Scope, attempt_id: int) -> Exception:
    """Why a compare-and-set on one of ``scope``'s tasks changed nothing."""
    attempt = await Attempt.filter(id=attempt_id, **scope.attempt_filter()).first()
    if attempt is None:
        return NotFound("任务不存在")
    return Conflict(f"任务当前状态为{attempt.status.label}，不能执行此操作", code="task_not_open")


async def record_task_event(type: EventType, attempt: Attempt, scope: Scope, meta: RequestMeta,
                            data: dict) -> None:
    await record_event(type, court_id=attempt.court_id, service_id=attempt.service_id,
                       recipient_id=attempt.recipient_id, actor=scope.actor, meta=meta,
                       data={"attempt_id": attempt.id, **data})
