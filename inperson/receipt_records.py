"""Opening a task's 送达回证 (``TaskReceipt``) in the transaction that closes the task."""
from __future__ import annotations

from datetime import datetime

from inperson.models import TaskReceipt
from service.models import Attempt
from service.signing import new_receipt_number


async def open_task_receipt(attempt: Attempt, *, now: datetime) -> TaskReceipt:
    return await TaskReceipt.create(receipt_no=new_receipt_number(now), attempt_id=attempt.id,
                                    court_id=attempt.court_id, created_at=now)
