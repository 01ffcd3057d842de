"""Escalation rules: each default rule fires once per trigger, never twice, and never for a
recipient already served or a revoked service; mail and field need an address; when every
channel failed the clerk is offered announcement service."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.events import Actor, RequestMeta
from audit.models import Event
from centre.escalation import announcement_suggestions, run_escalation_rules
from centre.escalation_rules import default_rules
from centre.models import EscalationFiring, EscalationRule
from service.choices import FailureReason, Outcome, TaskStatus
from service.models import Attempt, Delivery, Recipient, Service
from tests.centre.helpers import service_with_tasks
from tests.factories import make_court

H = timedelta(hours=1)


async def _court_with_rules():
    court = await make_court()
    await default_rules(court.id, now=datetime.now(timezone.utc) - 1000 * H)
    return court


async def _fail(attempt: Attempt, at: datetime, reason: FailureReason = FailureReason.NO_ANSWER) -> None:
    await Attempt.filter(id=attempt.id).update(status=TaskStatus.CLOSED, outcome=Outcome.FAILED,
                                               failure_reason=reason, closed_at=at, updated_at=at)


async def _run(now: datetime):
    return await run_escalation_rules(now=now, due_days=7)


async def test_default_rules_are_seeded_once(db):
    court = await make_court()  # registering a court seeds them
    now = datetime.now(timezone.utc)
    assert await default_rules(court.id, now=now) == []
    assert await EscalationRule.filter(court_id=court.id).count() == 4


@pytest.mark.parametrize("hours, fires", [(71, False), (73, True)])
async def test_unsigned_electronic_service_opens_a_phone_task_after_72_hours(db, hours, fires):
    court = await _court_with_rules()
    service, people, _ = await service_with_tasks(db, channels=["sms", "portal"], court=court)
    now = datetime.now(timezone.utc) + hours * H
    result = await _run(now)
    phone = await Attempt.filter(service_id=service.id, channel="phone")
    if not fires:
        assert (result.opened, phone) == (0, [])
        return
    # Two stalled channels, one phone task: the second trigger is recorded as already covered.
    assert (result.opened, result.skipped) == (1, 1)
    task = phone[0]
    assert task.status is TaskStatus.UNASSIGNED and task.escalated_from_id is not None
    assert task.escalation_rule_id is not None and task.due_at == now + timedelta(days=7)
    events = await Event.filter(type="task.escalated").order_by("id")
    assert [e.data["attempt_id"] for e in events] == [task.id, None]
    assert events[1].data["skipped_reason"] == "受送达人已有电话联系任务（未办结或已失败）"
    # Never twice.
    assert await _run(now + H) == type(result)()
    assert await Attempt.filter(service_id=service.id, channel="phone").count() == 1


async def test_failed_phone_opens_mail_and_returned_mail_opens_field(db):
    court = await _court_with_rules()
    service, _, tasks = await service_with_tasks(db, channels=["phone"], court=court)
    now = datetime.now(timezone.utc)
    await _fail(tasks[0], now)
    assert (await _run(now + H)).opened == 1
    mail = await Attempt.get(service_id=service.id, channel="mail")
    assert mail.escalated_from_id == tasks[0].id
    await _fail(mail, now + 2 * H, FailureReason.MOVED)
    assert (await _run(now + 3 * H)).opened == 1
    field = await Attempt.get(service_id=service.id, channel="field")
    assert field.escalated_from_id == mail.id
    assert await _run(now + 4 * H) == type(await _run(now + 4 * H))()
    assert await EscalationFiring.filter(court_id=court.id).count() == 2


async def test_no_address_records_the_reason_instead_of_a_task(db):
    court = await _court_with_rules()
    service, people, tasks = await service_with_tasks(db, channels=["phone"], court=court)
    await Recipient.filter(id=people[0].id).update(address_cipher="", address_masked="")
    now = datetime.now(timezone.utc)
    await _fail(tasks[0], now)
    result = await _run(now + H)
    assert (result.opened, result.skipped) == (0, 1)
    assert not await Attempt.filter(service_id=service.id, channel="mail").exists()
    event = await Event.get(type="task.escalated")
    assert event.data["skipped_reason"] == "受送达人没有送达地址，未创建邮寄送达任务"
    assert event.data["attempt_id"] is None and event.data["escalated_from"] == tasks[0].id
    # Recorded once; and with nothing left open, the clerk is offered announcement service.
    assert result.suggested == 1
    again = await _run(now + 2 * H)
    assert (again.opened, again.skipped, again.suggested) == (0, 0, 0)


async def test_served_recipients_and_revoked_services_are_left_alone(db):
    court = await _court_with_rules()
    served, _, served_tasks = await service_with_tasks(db, channels=["sms", "phone"], court=court)
    revoked, _, revoked_tasks = await service_with_tasks(db, channels=["phone"], court=court)
    now = datetime.now(timezone.utc)
    await Delivery.filter(service_id=served.id).update(state="signed", signed_at=now)
    await _fail(served_tasks[0], now)
    await Service.filter(id=revoked.id).update(status="revoked")
    await _fail(revoked_tasks[0], now)
    assert await _run(now + 100 * H) == type(await _run(now))()
    assert not await Event.filter(type__in=["task.escalated", "announcement.suggested"]).exists()


async def test_a_disabled_rule_does_nothing(db):
    from centre.escalation_rules import set_rule_active

    court = await _court_with_rules()
    _, _, tasks = await service_with_tasks(db, channels=["phone"], court=court)
    for rule in await EscalationRule.filter(court_id=court.id):
        await set_rule_active(court.id, rule.id, False, actor=Actor.system(), meta=RequestMeta.none())
    now = datetime.now(timezone.utc)
    await _fail(tasks[0], now)
    assert (await _run(now + H)).opened == 0


async def test_all_failed_suggests_announcement_to_the_clerk_once(db):
    court = await _court_with_rules()
    service, people, tasks = await service_with_tasks(db, channels=["sms", "phone"], court=court)
    now = datetime.now(timezone.utc)
    sms = await Attempt.get(service_id=service.id, channel="sms")
    await _fail(sms, now, FailureReason.OTHER)
    await _fail(tasks[0], now + H)
    first = await _run(now + 2 * H)
    assert (first.opened, first.suggested) == (1, 0)     # mail opened: not all failed yet
    mail = await Attempt.get(service_id=service.id, channel="mail")
    await _fail(mail, now + 3 * H)
    await EscalationRule.filter(court_id=court.id, open_channel="field").update(active=False)
    second = await _run(now + 4 * H)
    assert (second.opened, second.suggested) == (0, 1)
    event = await Event.get(type="announcement.suggested")
    assert event.recipient_id == people[0].id and event.data["attempt_id"] == mail.id
    assert [a["channel"] for a in event.data["failed_attempts"]] == ["sms", "phone", "mail"]
    assert (await _run(now + 5 * H)).suggested == 0
    [suggestion] = await announcement_suggestions(court.id)
    assert (suggestion.recipient_id, suggestion.service_id) == (people[0].id, service.id)
    assert [c.value for c in suggestion.failed_channels] == ["sms", "phone", "mail"]
    # Another court's clerk sees nothing; once an announcement task exists the suggestion is done.
    assert await announcement_suggestions(court.id + 1) == []
    await Attempt.create(court_id=court.id, centre_id=court.centre_id, service_id=service.id,
                         recipient_id=people[0].id, channel="announcement", status=TaskStatus.UNASSIGNED,
                         created_at=now, updated_at=now)
    assert await announcement_suggestions(court.id) == []


async def test_the_jobs_loop_runs_the_rules(db):
    from app.packages import job_registry
    from jobs.registry import JobContext

    task = job_registry().periodic["centre.escalation"]
    court = await _court_with_rules()
    service, _, tasks = await service_with_tasks(db, channels=["phone"], court=court)
    now = datetime.now(timezone.utc)
    await _fail(tasks[0], now)
    await task.run(JobContext(providers=None, settings=db, worker_id="w", now=now + H))
    mail = await Attempt.get(service_id=service.id, channel="mail")
    assert mail.due_at == now + H + timedelta(days=db.task_due_days)


async def test_two_passes_at_once_open_one_task(db):
    import asyncio

    court = await _court_with_rules()
    service, _, tasks = await service_with_tasks(db, channels=["phone"], recipients=3, court=court)
    now = datetime.now(timezone.utc)
    for task in tasks:
        await _fail(task, now)
    results = await asyncio.gather(_run(now + H), _run(now + H))
    assert sum(r.opened for r in results) == 3
    assert await Attempt.filter(service_id=service.id, channel="mail").count() == 3
    assert await Event.filter(type="task.escalated").count() == 3


async def test_migration_0004_gives_existing_courts_the_same_defaults(db):
    import importlib

    from tortoise import connections

    from centre.escalation_rules import DEFAULT_RULES

    migration = importlib.import_module("app.migrations.0004_escalation_firing")
    court = await _court_with_rules()                          # has rules already: left alone
    await EscalationRule.filter(court_id=court.id, open_channel="field").delete()
    older = await make_court("桂0102", "南宁市兴宁区人民法院")   # registered before rules existed
    await connections.get("default").execute_script(migration._seed_sql())
    rules = await EscalationRule.filter(court_id=older.id).order_by("id")
    assert [(r.name, r.trigger, tuple(r.from_channels), r.after_hours, r.action, r.open_channel) for r in rules] == [
        (d.name, d.trigger, tuple(c.value for c in d.from_channels), d.after_hours, d.action,
         d.open_channel.value if d.open_channel else None) for d in DEFAULT_RULES]
    assert await EscalationRule.filter(court_id=court.id).count() == 3


async def test_an_early_sms_failure_waits_for_the_phone_call_before_suggesting_announcement(db):
    court = await _court_with_rules()
    service, _, _ = await service_with_tasks(db, channels=["sms"], court=court)
    sms = await Attempt.get(service_id=service.id, channel="sms")
    await _fail(sms, sms.created_at + H, FailureReason.OTHER)
    early = await _run(sms.created_at + 2 * H)
    assert (early.opened, early.suggested) == (0, 0)
    later = await _run(sms.created_at + 73 * H)
    assert (later.opened, later.suggested) == (1, 0)
    phone = await Attempt.get(service_id=service.id, channel="phone")
    await Recipient.filter(id=phone.recipient_id).update(address_cipher="", address_masked="")
    await _fail(phone, sms.created_at + 74 * H)
    last = await _run(sms.created_at + 75 * H)
    assert (last.opened, last.skipped, last.suggested) == (0, 1, 1)
