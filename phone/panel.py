"""What the call panel of a phone task shows (电话联系面板), read for one scope. Numbers appear
masked only: the litigant's full number never leaves the domain except to the provider."""
from __future__ import annotations

from dataclasses import dataclass

from centre.scope import Scope
from centre.tasks import task_in_scope
from phone.choices import CallState, RecordingState, TaskTextTemplate
from phone.models import Call, TaskText
from phone.staff_phones import staff_phone_masked
from service.choices import Channel, TaskStatus
from service.models import Attempt, Case, Recipient, Service


@dataclass(frozen=True)
class Panel:
    attempt: Attempt
    case_number: str
    recipient_name: str
    recipient_phone_masked: str
    calls: list[Call]
    texts: list[TaskText]
    own_phone_masked: str        # the viewer's own phone on file ("" if none)
    handles: bool                # the viewer is the task's process server and it is open
    waiting: bool                # a call or a recording is still on its way: the page refreshes
    templates: tuple[TaskTextTemplate, ...] = tuple(TaskTextTemplate)


async def phone_panel(scope: Scope, attempt_id: int) -> Panel:
    attempt = await task_in_scope(scope, attempt_id)
    service = await Service.get(id=attempt.service_id)
    case = await Case.get(id=service.case_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    calls = await Call.filter(attempt_id=attempt.id).order_by("-id")
    texts = await TaskText.filter(attempt_id=attempt.id).order_by("-id")
    handles = (scope.assignee_id is not None and attempt.channel is Channel.PHONE
               and attempt.status in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS))
    waiting = any(c.state is CallState.PLACED or c.recording_state is RecordingState.PENDING for c in calls)
    return Panel(attempt=attempt, case_number=case.case_number, recipient_name=recipient.name,
                 recipient_phone_masked=recipient.phone_masked, calls=calls, texts=texts,
                 own_phone_masked=await staff_phone_masked(scope.staff_id), handles=handles, waiting=waiting)
