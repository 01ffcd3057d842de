"""送达分派: all-or-nothing batch assignment, reassignment, hand-back, and the scope checks."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks, hand_back_task, reassign_task
from centre.scope import Scope
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.choices import TaskStatus
from service.models import Attempt
from tests.centre.helpers import centre_people, service_with_tasks
from tests.factories import make_court, make_staff

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def test_intake_opens_tasks_for_human_channels_and_attempts_for_electronic_ones(db):
    service, people, tasks = await service_with_tasks(db, channels=["sms", "mail", "phone"])
    attempts = await Attempt.filter(service_id=service.id).order_by("id")
    assert [a.channel.value for a in attempts] == ["sms", "mail", "phone"]
    electronic = attempts[0]
    assert electronic.delivery_id is not None and electronic.status is TaskStatus.IN_PROGRESS
    assert [t.status for t in tasks] == [TaskStatus.UNASSIGNED] * 2
    assert all(t.due_at is not None and t.centre_id is not None for t in tasks)
    assert tasks[0].area == "广西壮族自治区 柳州市 城中区"
    created = await Event.get(type="service.created", service_id=service.id)
    assert created.data["task_ids"] == [t.id for t in tasks]


async def test_assign_many_then_second_dispatcher_is_told_and_nothing_changes(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, recipients=2)
    ids = [t.id for t in tasks]
    assert await assign_tasks(dispatcher, ids[:2], server.staff_id, now=NOW, meta=META) == ids[:2]
    with pytest.raises(Conflict) as taken:
        await assign_tasks(dispatcher, ids, other.staff_id, now=NOW, meta=META)
    assert taken.value.details["task_ids"] == ids[:2]
    # All or nothing: the free tasks were not given to the second process server either.
    assert {t.assignee_id for t in await Attempt.filter(id__in=ids[2:])} == {None}
    assert await Event.filter(type="task.assigned").count() == 2


async def test_two_dispatchers_at_once_one_wins(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    results = await asyncio.gather(
        assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META),
        assign_tasks(dispatcher, [tasks[0].id], other.staff_id, now=NOW, meta=META),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "list"]
    assert await Event.filter(type="task.assigned").count() == 1


async def test_tasks_of_another_centre_cannot_be_assigned(db):
    dispatcher, server, _, _ = await centre_people(db)
    other_court = await make_court("桂0102", "南宁市兴宁区人民法院")
    _, _, foreign = await service_with_tasks(db, court=other_court)
    with pytest.raises(Conflict) as refused:
        await assign_tasks(dispatcher, [foreign[0].id], server.staff_id, now=NOW, meta=META)
    assert "不属于本中心" in refused.value.message
    assert (await Attempt.get(id=foreign[0].id)).status is TaskStatus.UNASSIGNED
    # Nor to a process server of another centre.
    stranger, _, _ = await make_staff(other_court, "process_server", settings=db)
    _, _, mine = await service_with_tasks(db)
    with pytest.raises(ValidationFailed):
        await assign_tasks(dispatcher, [mine[0].id], stranger.id, now=NOW, meta=META)


async def test_only_dispatchers_assign(db):
    _, server, other, clerk = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    for scope in (server, clerk):
        with pytest.raises(Forbidden):
            await assign_tasks(scope, [tasks[0].id], other.staff_id, now=NOW, meta=META)


async def test_electronic_attempts_are_not_tasks(db):
    dispatcher, server, _, _ = await centre_people(db)
    service, _, _ = await service_with_tasks(db)
    sms = await Attempt.get(service_id=service.id, channel="sms")
    with pytest.raises(Conflict):
        await assign_tasks(dispatcher, [sms.id], server.staff_id, now=NOW, meta=META)


async def test_hand_back_returns_the_task_to_the_list_with_its_reason(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    with pytest.raises(NotFound):  # not theirs
        await hand_back_task(other, tasks[0].id, "不在我的片区", now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await hand_back_task(server, tasks[0].id, "  ", now=NOW, meta=META)
    back = await hand_back_task(server, tasks[0].id, "地址在外省，请改派", now=NOW, meta=META)
    assert (back.status, back.assignee_id, back.hand_back_reason) == (TaskStatus.HANDED_BACK, None,
                                                                      "地址在外省，请改派")
    with pytest.raises(NotFound):  # no longer in their scope
        await hand_back_task(server, tasks[0].id, "再退一次", now=NOW, meta=META)
    # Handed back tasks can be assigned again.
    assert await assign_tasks(dispatcher, [tasks[0].id], other.staff_id, now=NOW, meta=META) == [tasks[0].id]


async def test_reassign_moves_an_open_task(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db)
    with pytest.raises(Conflict):  # not assigned yet
        await reassign_task(dispatcher, tasks[0].id, other.staff_id, now=NOW, meta=META)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    moved = await reassign_task(dispatcher, tasks[0].id, other.staff_id, now=NOW, meta=META)
    assert moved.assignee_id == other.staff_id
    event = await Event.filter(type="task.assigned").order_by("-id").first()
    assert event.data["previous_assignee_id"] == server.staff_id


def test_a_scope_is_a_courts_or_a_centres():
    with pytest.raises(ValueError):
        Scope(1)
    with pytest.raises(ValueError):
        Scope(1, court_id=1, centre_id=1)
    with pytest.raises(ValueError):
        Scope(1, court_id=1, assignee_id=1)
