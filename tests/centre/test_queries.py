"""What the centre pages read: the dispatch list and a to-do list (scope, filters, keyset paging),
one task, who should take a task, and the court's list of PII reveals."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.events import RequestMeta
from centre.dispatch import assign_tasks, hand_back_task
from centre.handling import Closing, close_task, record_contact
from centre.queries import (
    DispatchFilters,
    dispatch_filters,
    dispatch_list,
    parse_cursor,
    reveals_of_court,
    service_tasks,
    suggest_handlers,
    task_detail,
    todo_list,
    todo_status,
)
from centre.reveal import reveal_recipient_field
from core.errors import Forbidden, NotFound, ValidationFailed
from service.choices import Channel, ContactKind, FailureReason, Outcome, TaskStatus
from service.models import Attempt
from tests.centre.helpers import centre_people, service_with_tasks
from tests.factories import make_court

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def _all_pages(fetch_page, **kwargs):
    rows, cursor, pages = [], None, 0
    while True:
        page = await fetch_page(cursor=cursor, **kwargs)
        rows += page.rows
        pages += 1
        if page.next_cursor is None:
            return rows, pages
        cursor = parse_cursor(page.next_cursor)


async def test_dispatch_list_is_the_centres_unassigned_and_handed_back_tasks_as_people(db):
    dispatcher, server, _, clerk = await centre_people(db)
    service, people, tasks = await service_with_tasks(db, recipients=2)
    other_court = await make_court("桂0102", "南宁市兴宁区人民法院")
    _, _, foreign = await service_with_tasks(db, court=other_court)
    await assign_tasks(dispatcher, [tasks[0].id, tasks[1].id], server.staff_id, now=NOW, meta=META)
    await hand_back_task(server, tasks[1].id, "地址在外省", now=NOW, meta=META)
    page = await dispatch_list(dispatcher, DispatchFilters(), None, now=NOW)
    ids = [r.id for r in page.rows]
    assert tasks[0].id not in ids and tasks[1].id in ids and set(ids) == {t.id for t in tasks[1:]}
    assert not {t.id for t in foreign} & set(ids)
    back = next(r for r in page.rows if r.id == tasks[1].id)
    assert back.hand_back_reason == "地址在外省" and back.status is TaskStatus.HANDED_BACK
    assert back.recipient_name == people[0].name and back.case_number and back.area == "广西壮族自治区 柳州市 城中区"
    assert back.age.endswith(("分钟", "小时", "天")) and not back.overdue
    for scope in (server, clerk):
        with pytest.raises(Forbidden):
            await dispatch_list(scope, DispatchFilters(), None, now=NOW)


async def test_dispatch_filters_and_overdue(db):
    dispatcher, _, _, _ = await centre_people(db)
    service, _, tasks = await service_with_tasks(db, channels=["sms", "mail", "phone"])
    await service.fetch_related("case")
    mail = next(t for t in tasks if t.channel is Channel.MAIL)
    await Attempt.filter(id=mail.id).update(due_at=NOW - timedelta(days=1))

    async def ids(**args):
        return {r.id for r in (await dispatch_list(dispatcher, dispatch_filters(args), None, now=NOW)).rows}

    assert await ids(channel="mail") == {mail.id}
    assert await ids(overdue="1") == {mail.id}
    assert (await dispatch_list(dispatcher, DispatchFilters(), None, now=NOW)).rows[0].overdue
    assert await ids(area="广西柳州") == {t.id for t in tasks}
    assert await ids(area="北京") == set()
    assert await ids(area="%") == set()           # LIKE wildcards are literal
    assert await ids(case_number=service.case.case_number[-5:]) == {t.id for t in tasks}
    assert await ids(case_number="没有这个案号") == set()
    assert await ids(court=str(service.court_id)) == {t.id for t in tasks}
    assert await ids(court="999999") == set()
    for bad in ({"channel": "sms"}, {"channel": "pigeon"}, {"area": "区" * 65}, {"case_number": "号" * 65},
                {"court": "abc"}, {"overdue": "maybe"}):
        with pytest.raises(ValidationFailed):
            dispatch_filters(bad)


async def test_keyset_paging_visits_every_task_once_in_due_order(db):
    dispatcher, _, _, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, recipients=4)     # 8 tasks
    await Attempt.filter(id=tasks[0].id).update(due_at=None)     # no due time: last
    await Attempt.filter(id=tasks[1].id).update(due_at=tasks[2].due_at)   # a tie on due_at
    rows, pages = await _all_pages(lambda cursor: dispatch_list(dispatcher, DispatchFilters(), cursor, now=NOW,
                                                                page_size=3))
    assert pages == 3 and sorted(r.id for r in rows) == sorted(t.id for t in tasks)
    assert rows[-1].id == tasks[0].id
    keys = [(r.due_at, r.id) for r in rows[:-1]]
    assert keys == sorted(keys)
    for bad in ("x", "1.abc", "n.0", "99999999999999999999999.1", "1.99999999999"):
        with pytest.raises(ValidationFailed):
            parse_cursor(bad)


async def test_todo_list_is_own_tasks_by_status(db):
    dispatcher, server, other, clerk = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, recipients=3)
    mine = [t.id for t in tasks[:4]]
    await assign_tasks(dispatcher, mine, server.staff_id, now=NOW, meta=META)
    await assign_tasks(dispatcher, [tasks[4].id], other.staff_id, now=NOW, meta=META)
    await record_contact(server, mine[0], kind=ContactKind.CALL, contacted_at=NOW, result="已接通", now=NOW,
                         meta=META)
    await close_task(server, mine[1], Closing(Outcome.FAILED, failure_reason=FailureReason.MOVED), now=NOW,
                     meta=META)
    await Attempt.filter(id=mine[2]).update(due_at=NOW - timedelta(hours=1))

    async def ids(scope, status):
        rows, _ = await _all_pages(lambda cursor: todo_list(scope, status, cursor, now=NOW, page_size=1))
        return [r.id for r in rows], rows

    assigned, rows = await ids(server, TaskStatus.ASSIGNED)
    assert set(assigned) == {mine[2], mine[3]} and rows[0].id == mine[2] and rows[0].overdue
    assert (await ids(server, TaskStatus.IN_PROGRESS))[0] == [mine[0]]
    closed, rows = await ids(server, TaskStatus.CLOSED)
    assert closed == [mine[1]] and not rows[0].overdue and rows[0].outcome_label == "送达失败"
    assert (await ids(other, TaskStatus.ASSIGNED))[0] == [tasks[4].id]
    assert set((await ids(dispatcher, TaskStatus.ASSIGNED))[0]) == {mine[2], mine[3], tasks[4].id}
    with pytest.raises(Forbidden):
        await todo_list(clerk, TaskStatus.ASSIGNED, None, now=NOW)
    assert todo_status("") is TaskStatus.ASSIGNED
    for bad in ("unassigned", "nonsense"):
        with pytest.raises(ValidationFailed):
            todo_status(bad)


async def test_task_detail_is_scoped_and_shows_masked_pii_and_its_own_events(db):
    dispatcher, server, other, clerk = await centre_people(db)
    service, people, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    await record_contact(server, tasks[0].id, kind=ContactKind.CALL, contacted_at=NOW, result="约定明日上门",
                         now=NOW, meta=META)
    detail = await task_detail(server, tasks[0].id, now=NOW)
    assert detail.recipient.phone_masked and "*" in detail.recipient.phone_masked
    assert detail.case.id == service.case_id and len(detail.documents) == 1
    assert [c.result for c in detail.contacts] == ["约定明日上门"]
    assert [e.type.value for e in detail.events] == ["task.assigned", "task.contact_recorded"]
    assert all(e.data.get("attempt_id") == tasks[0].id for e in detail.events)
    assert detail.names[server.staff_id]
    assert (await task_detail(clerk, tasks[0].id)).attempt.id == tasks[0].id
    assert (await task_detail(dispatcher, tasks[0].id)).attempt.id == tasks[0].id
    with pytest.raises(NotFound):
        await task_detail(other, tasks[0].id)
    sms = await Attempt.get(service_id=service.id, channel="sms")
    with pytest.raises(NotFound):       # an electronic attempt is not a task page
        await task_detail(clerk, sms.id)
    listed = await service_tasks(clerk, service.id)
    assert [t.attempt.id for t in listed] == [t.id for t in tasks] and listed[0].assignee
    assert await service_tasks(other, service.id) == []


async def test_suggestions_rank_by_area_then_load(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, recipients=2)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    await assign_tasks(dispatcher, [tasks[1].id, tasks[2].id], other.staff_id, now=NOW, meta=META)
    ranked = await suggest_handlers(dispatcher.centre_id, "广西壮族自治区 柳州市 城中区", now=NOW)
    assert [s.id for s in ranked] == [other.staff_id, server.staff_id]
    assert (ranked[0].in_area, ranked[0].open_load) == (2, 2) and "在办2件" in ranked[0].label
    by_load = await suggest_handlers(dispatcher.centre_id, "北京市 东城区", now=NOW)
    assert [s.id for s in by_load] == [server.staff_id, other.staff_id]


async def test_reveals_are_listed_for_the_court(db):
    dispatcher, server, _, clerk = await centre_people(db)
    service, _, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    await reveal_recipient_field(server, tasks[0].id, "phone", "电话无法接通，核对号码", settings=db, now=NOW,
                                 meta=META)
    rows, more = await reveals_of_court(clerk.court_id)
    assert not more and len(rows) == 1
    assert (rows[0].field, rows[0].attempt_id, rows[0].reason) == ("手机号码", tasks[0].id, "电话无法接通，核对号码")
    assert rows[0].staff
    other_court = await make_court("桂0102", "南宁市兴宁区人民法院")
    assert (await reveals_of_court(other_court.id))[0] == []
