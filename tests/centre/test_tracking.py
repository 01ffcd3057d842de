"""跟踪视图: by case and by person (blind index across cases), the merged timeline, and who sees
which recipients."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.demo import walk_and_sign
from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from centre.handling import Closing, close_task, record_contact
from centre.tracking import STAFF, track_case, track_person
from core.errors import NotFound
from documents.models import Document
from documents.storage import LocalStorage
from service.choices import ContactKind, Outcome, ServiceMethod
from service.models import Attempt, Delivery
from tests.centre.helpers import centre_people
from tests.factories import make_court, recipient_body, resident_id, serve_people

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def _same_person_twice(db, court):
    """One person (same ID number, different phones) in two cases; a second person beside them."""
    id_number = resident_id()
    first, people1, docs = await serve_people(db, [
        recipient_body(name="张三", id_number=id_number, channels=["sms", "phone"]),
        recipient_body(name="李四", channels=["sms", "mail"])], court=court)
    second, people2, _ = await serve_people(db, [
        recipient_body(name="张三", id_number=id_number, channels=["portal", "mail"])], court=court)
    return first, people1, docs, second, people2


async def test_person_across_two_cases_by_blind_index_with_staff_and_machine_lines(db):
    court = await make_court()
    dispatcher, server, other, clerk = await centre_people(db, court)
    first, people1, docs, second, people2 = await _same_person_twice(db, court)
    await Document.filter(id=docs[0].id).update(title="民事起诉状副本")
    phone_task = await Attempt.get(recipient_id=people1[0].id, channel="phone")
    await assign_tasks(dispatcher, [phone_task.id], server.staff_id, now=NOW, meta=META)
    await record_contact(server, phone_task.id, kind=ContactKind.CALL, contacted_at=NOW - timedelta(hours=2),
                         result="当事人同意来电确认", now=NOW, meta=META)
    await close_task(server, phone_task.id, Closing(Outcome.SERVED, ServiceMethod.PHONE, NOW - timedelta(hours=1)),
                     now=NOW, meta=META)
    delivery = await Delivery.get(recipient_id=people2[0].id, channel="portal")
    await walk_and_sign(delivery.id, storage=LocalStorage(db.data_dir / "files"), now=NOW)

    person = await track_person(clerk, people1[0].id)
    assert {t.recipient.id for t in person.tracks} == {people1[0].id, people2[0].id}
    assert person.matched_by == "按证件号码匹配" and not person.cut
    assert {t.case.id for t in person.tracks} == {first.case_id, second.case_id}
    assert all(t.served for t in person.tracks)
    by_recipient = {t.recipient.id: t for t in person.tracks}
    texts = [line.text for line in by_recipient[people1[0].id].lines]
    assert any("电话联系：电话联系" in t and "当事人同意来电确认" in t for t in texts), texts
    closed = [line for line in by_recipient[people1[0].id].lines if "送达任务已办结" in line.text]
    assert closed and closed[0].highlight and closed[0].source == STAFF and "送达成功" in closed[0].text
    portal_lines = by_recipient[people2[0].id].lines
    assert any("诉讼服务网：已签收" == line.text and line.highlight for line in portal_lines)
    assert any("文书已查看" in line.text and "《" in line.text for line in portal_lines)
    assert [line.at for line in portal_lines] == sorted(line.at for line in portal_lines)

    case = await track_case(clerk, first.case_id)
    assert [t.recipient.name for t in case.tracks] == ["张三", "李四"]
    assert case.tracks[0].documents[0] == "民事起诉状副本" and not case.tracks[1].served
    assert case.tracks[1].lines[0].text.startswith("送达已创建：《民事起诉状副本》")


async def test_phone_and_name_match_a_person_without_an_id_number(db):
    court = await make_court()
    _, _, _, clerk = await centre_people(db, court)
    body = {"name": "王五", "phone": "13800009999", "id_type": None, "id_number": None}
    _, a, _ = await serve_people(db, [recipient_body(**body)], court=court)
    _, b, _ = await serve_people(db, [recipient_body(**body)], court=court)
    _, c, _ = await serve_people(db, [recipient_body(**{**body, "name": "王六"})], court=court)
    person = await track_person(clerk, a[0].id)
    assert person.matched_by == "按手机号码和姓名匹配"
    assert {t.recipient.id for t in person.tracks} == {a[0].id, b[0].id}


async def test_scopes_decide_who_is_seen(db):
    court = await make_court()
    dispatcher, server, other, clerk = await centre_people(db, court)
    first, people1, _, second, people2 = await _same_person_twice(db, court)
    phone_task = await Attempt.get(recipient_id=people1[0].id, channel="phone")
    await assign_tasks(dispatcher, [phone_task.id], server.staff_id, now=NOW, meta=META)
    await record_contact(server, phone_task.id, kind=ContactKind.CALL, contacted_at=NOW, result="已接通",
                         now=NOW, meta=META)

    # The process server: only the recipient of their own task, in both views.
    case = await track_case(server, first.case_id)
    assert [t.recipient.id for t in case.tracks] == [people1[0].id]
    person = await track_person(server, people1[0].id)
    assert [t.recipient.id for t in person.tracks] == [people1[0].id]
    with pytest.raises(NotFound):
        await track_case(server, second.case_id)
    with pytest.raises(NotFound):
        await track_person(server, people1[1].id)
    # Another process server sees none of it, nor the contact.
    with pytest.raises(NotFound):
        await track_case(other, first.case_id)
    # The dispatcher sees the centre's recipients, and the contact.
    case = await track_case(dispatcher, first.case_id)
    assert len(case.tracks) == 2
    assert any("已接通" in line.text for line in case.tracks[0].lines)
    # Another court's clerk: 404, as for a case that does not exist.
    elsewhere = await make_court(code="桂0102", name="示范市另一区人民法院")
    _, _, _, their_clerk = await centre_people(db, elsewhere)
    for call in (track_case(their_clerk, first.case_id), track_person(their_clerk, people1[0].id),
                 track_case(clerk, 2**31), track_person(clerk, 0)):
        with pytest.raises(NotFound):
            await call
