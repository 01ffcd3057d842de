"""Electronic attempts close when their delivery ends; the sweep writes one event each, once."""
from __future__ import annotations

from datetime import datetime, timezone

from audit.models import Event
from centre.electronic import close_ended_electronic_attempts
from service.choices import Outcome, ServiceMethod, TaskStatus
from service.models import Attempt
from tests.factories import make_signed_delivery


async def test_a_signed_delivery_closes_its_attempt_as_served_once(db):
    _, recipient, delivery, _ = await make_signed_delivery(db, documents=1)
    now = datetime.now(timezone.utc)
    assert await close_ended_electronic_attempts(now=now) == 1
    attempt = await Attempt.get(delivery_id=delivery.id)
    assert (attempt.status, attempt.outcome, attempt.method, attempt.served_at) == (
        TaskStatus.CLOSED, Outcome.SERVED, ServiceMethod.ELECTRONIC, delivery.signed_at)
    others = await Attempt.filter(recipient_id=recipient.id).exclude(id=attempt.id)
    assert {a.status for a in others} == {TaskStatus.IN_PROGRESS}
    assert await close_ended_electronic_attempts(now=now) == 0
    assert await Event.filter(type="attempt.closed").count() == 1


async def test_open_tasks_are_withdrawn_once_the_recipient_signed_electronically(db):
    from centre.withdrawal import withdraw_moot_tasks
    from tests.factories import make_service

    _, recipient, _, _ = await make_signed_delivery(db, documents=1)
    service, people, _ = await make_service(settings=db, channels=["sms", "phone"])
    phone_task = await Attempt.create(
        court_id=(await Attempt.filter(recipient_id=recipient.id).first()).court_id,
        centre_id=None, service_id=recipient.service_id, recipient_id=recipient.id, channel="mail",
        status=TaskStatus.UNASSIGNED, created_at=datetime.now(timezone.utc), updated_at=datetime.now(timezone.utc))
    now = datetime.now(timezone.utc)
    assert await withdraw_moot_tasks(now=now) == 1
    closed = await Attempt.get(id=phone_task.id)
    assert (closed.status, closed.outcome, closed.failure_text) == (TaskStatus.CLOSED, Outcome.WITHDRAWN,
                                                                    "受送达人已经其他渠道送达")
    # The other service's phone task is still needed.
    assert (await Attempt.get(service_id=service.id, channel="phone")).status is TaskStatus.UNASSIGNED
    assert await withdraw_moot_tasks(now=now) == 0
