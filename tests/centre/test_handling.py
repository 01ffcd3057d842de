"""办理 and 办结: contacts, notes, closing with an outcome the law recognises, and the service
completing when every recipient is served."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks
from centre.handling import Closing, close_task, record_contact, start_task, update_notes
from centre.models import Contact
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from documents.kinds import DocumentKind
from service.choices import ContactKind, FailureReason, Outcome, ServiceMethod, ServiceStatus, TaskStatus
from service.effects import recipient_effect
from service.legal_effect import RULE_MAIL
from service.models import Attempt, Service, ServiceDocument
from tests.centre.helpers import centre_people, service_with_tasks

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def _assigned(db, **kwargs):
    dispatcher, server, other, clerk = await centre_people(db)
    service, people, tasks = await service_with_tasks(db, **kwargs)
    await assign_tasks(dispatcher, [t.id for t in tasks], server.staff_id, now=NOW, meta=META)
    return service, people, tasks, server, other, clerk


async def test_contacts_start_the_task_and_are_recorded(db):
    _, _, tasks, server, other, _ = await _assigned(db)
    with pytest.raises(NotFound):
        await record_contact(other, tasks[0].id, kind=ContactKind.CALL, contacted_at=NOW, result="无人接听",
                             now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await record_contact(server, tasks[0].id, kind=ContactKind.CALL, contacted_at=NOW + timedelta(hours=1),
                             result="无人接听", now=NOW, meta=META)
    contact = await record_contact(server, tasks[0].id, kind=ContactKind.CALL, contacted_at=NOW,
                                   result="无人接听，下午再打", now=NOW, meta=META)
    assert (await Attempt.get(id=tasks[0].id)).status is TaskStatus.IN_PROGRESS
    assert await Contact.filter(attempt_id=tasks[0].id).count() == 1 and contact.staff_id == server.staff_id
    await update_notes(server, tasks[0].id, "当事人白天上班", now=NOW, meta=META)
    assert (await Attempt.get(id=tasks[0].id)).notes == "当事人白天上班"
    assert await start_task(server, tasks[0].id, now=NOW, meta=META)  # already in progress: no change
    assert await Event.filter(type="task.started").count() == 0


async def test_close_served_by_mail_states_the_effect_and_completes_the_service(db):
    service, people, tasks, server, _, clerk = await _assigned(db, channels=["mail"])
    served_at = NOW - timedelta(hours=3)
    with pytest.raises(Forbidden):
        await close_task(clerk, tasks[0].id, Closing(Outcome.SERVED, ServiceMethod.MAIL, served_at),
                         now=NOW, meta=META)
    closed = await close_task(server, tasks[0].id, Closing(Outcome.SERVED, ServiceMethod.MAIL, served_at),
                              now=NOW, meta=META)
    assert (closed.status, closed.outcome, closed.effective_at, closed.effect_rule) == (
        TaskStatus.CLOSED, Outcome.SERVED, served_at, RULE_MAIL)
    assert (await Service.get(id=service.id)).status is ServiceStatus.COMPLETED
    documents = await ServiceDocument.filter(service_id=service.id).prefetch_related("document")
    effect = await recipient_effect(people[0], documents)
    assert (effect.effective, effect.at, effect.channel.value) == (True, served_at, "mail")
    with pytest.raises(Conflict) as again:
        await close_task(server, tasks[0].id, Closing(Outcome.FAILED, failure_reason=FailureReason.MOVED),
                         now=NOW, meta=META)
    assert again.value.code == "task_already_closed"
    assert await Event.filter(type="task.closed").count() == 1


async def test_a_failure_needs_a_reason_and_other_needs_text(db):
    _, _, tasks, server, _, _ = await _assigned(db, channels=["phone"])
    with pytest.raises(ValidationFailed):
        await close_task(server, tasks[0].id, Closing(Outcome.FAILED), now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await close_task(server, tasks[0].id, Closing(Outcome.FAILED, failure_reason=FailureReason.OTHER),
                         now=NOW, meta=META)
    assert (await Attempt.get(id=tasks[0].id)).status is TaskStatus.ASSIGNED  # nothing half-written
    closed = await close_task(server, tasks[0].id, Closing(Outcome.FAILED, failure_reason=FailureReason.NO_ANSWER),
                              now=NOW, meta=META)
    assert (closed.outcome, closed.failure_reason, closed.effective_at) == (Outcome.FAILED,
                                                                            FailureReason.NO_ANSWER, None)


async def test_the_law_refuses_a_judgment_by_phone_and_mediation_by_lodging(db):
    _, _, tasks, server, _, _ = await _assigned(db, channels=["phone", "field"], kind=DocumentKind.JUDGMENT)
    with pytest.raises(ValidationFailed) as phone:
        await close_task(server, tasks[0].id, Closing(Outcome.SERVED, ServiceMethod.PHONE, NOW), now=NOW, meta=META)
    assert phone.value.code == "not_effective_in_law" and "判决书不得以电话方式送达" in phone.value.message
    with pytest.raises(ValidationFailed):  # a field task cannot close "by mail"
        await close_task(server, tasks[1].id, Closing(Outcome.SERVED, ServiceMethod.MAIL, NOW), now=NOW, meta=META)
    _, _, mediation, server2, _, _ = await _assigned(db, channels=["field"], kind=DocumentKind.MEDIATION)
    with pytest.raises(ValidationFailed) as lodged:
        await close_task(server2, mediation[0].id, Closing(Outcome.SERVED, ServiceMethod.LODGED, NOW),
                         now=NOW, meta=META)
    assert "调解书" in lodged.value.message
    assert await Attempt.filter(status=TaskStatus.CLOSED).count() == 0


async def test_served_time_cannot_be_in_the_future(db):
    _, _, tasks, server, _, _ = await _assigned(db, channels=["pickup"])
    with pytest.raises(ValidationFailed):
        await close_task(server, tasks[0].id, Closing(Outcome.SERVED, ServiceMethod.DIRECT, NOW + timedelta(days=1)),
                         now=NOW, meta=META)
