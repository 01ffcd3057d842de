"""Opening a task's 送达回证 (``TaskReceipt``) in the transaction that closes the task."""
from __future__ import annotations

from datetime import datetime

from centre.scope import Scope
from centre.tasks import task_in_scope
from core.errors import NotFound
from inperson.models import TaskReceipt
from service.models import Attempt
from service.signing import new_receipt_number


async def open_task_receipt(attempt: Attempt, *, now: datetime) -> TaskReceipt:
    return await TaskReceipt.create(receipt_no=new_receipt_number(now), attempt_id=attempt.id,
                                    court_id=attempt.court_id, created_at=now)


async def task_receipt_in_scope(scope: Scope, attempt_id: int) -> TaskReceipt:
    """The receipt of a task the scope covers (its process server, the centre, the court)."""
    attempt = await task_in_scope(scope, attempt_id)
    receipt = await TaskReceipt.get_or_none(attempt_id=attempt.id)
    if receipt is None:
        raise NotFound("该任务没有送达回证", code="task_receipt_not_found")
    return receipt
