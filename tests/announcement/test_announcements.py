"""公告送达 from the clerk's request to the paper's publication: the task, the fee, the text, the
submission, the paper's callbacks (the page attached, the task closed by the legal-effect
engine), overdue publications, and what is refused."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from announcement.announcements import (
    PUBLIC_RETENTION,
    edit_text,
    flag_overdue,
    public_notices,
    receive_callback,
    record_fee,
    request_announcement,
    submit_announcement,
)
from announcement.choices import AnnouncementStatus, FeePayer, FeeStatus, PaperStatus
from announcement.models import Announcement
from announcement.publishers.dev import DevPublisher
from announcement.publishers.publisher import CallbackRejected
from audit.models import Event
from centre.models import Evidence
from core.errors import Conflict, NotFound, ValidationFailed
from documents.storage import LocalStorage
from service.choices import Outcome, ServiceMethod, TaskStatus
from service.models import Attempt, Service
from tests.announcement.helpers import META, announcement_case, now
from tests.factories import make_court, make_service

BEIJING = ZoneInfo("Asia/Shanghai")
CALLBACK = "http://testserver/announcement/paper/callback"


def storage(settings):
    return LocalStorage(settings.files_dir)


async def _publish(settings, found, publisher, *, published_on=None):
    published_on = published_on or now().astimezone(BEIJING).date()
    body, signature = publisher.callback(found.paper_ref, PaperStatus.PUBLISHED, published_on=published_on,
                                         edition="第7版", page="G3")
    return await receive_callback(body, signature, publisher=publisher, storage=storage(settings),
                                  max_evidence_bytes=settings.max_evidence_bytes, now=now(), meta=META)


async def test_request_drafts_the_text_from_the_template(db):
    found, recipient, _ = await announcement_case(db)
    service = await Service.get(id=recipient.service_id).prefetch_related("case")
    assert found.status is AnnouncementStatus.DRAFT
    for part in ("示范市城中区人民法院", service.case.case_number, recipient.name, "《", "三十日", "第九十五条",
                 "本院诉讼服务中心"):
        assert part in found.text
    attempt = await Attempt.get(id=found.attempt_id)
    assert attempt.channel.value == "announcement" and attempt.status is TaskStatus.ASSIGNED
    assert await Event.filter(type="announcement.requested", data__contains={"announcement_id": found.id}).exists()


async def test_submit_then_publication_closes_the_task_as_served_with_the_page_as_evidence(db):
    found, _, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    assert found.status is AnnouncementStatus.SUBMITTED and publisher.submitted[found.paper_ref].text == found.text
    body, signature = publisher.callback(found.paper_ref, PaperStatus.TYPESET)
    typeset = await receive_callback(body, signature, publisher=publisher, storage=storage(db),
                                     max_evidence_bytes=db.max_evidence_bytes, now=now(), meta=META)
    assert typeset.status is AnnouncementStatus.TYPESET

    published = await _publish(db, found, publisher)
    attempt = await Attempt.get(id=found.attempt_id)
    day = now().astimezone(BEIJING).date()
    assert (published.status, published.edition, published.page, published.published_on) == (
        AnnouncementStatus.PUBLISHED, "第7版", "G3", day)
    assert (attempt.status, attempt.outcome, attempt.method) == (TaskStatus.CLOSED, Outcome.SERVED,
                                                                 ServiceMethod.ANNOUNCEMENT)
    assert attempt.effective_at.astimezone(BEIJING).date() == day + timedelta(days=30)
    assert attempt.effect_rule == "民事诉讼法第95条"
    evidence = await Evidence.get(id=published.evidence_id)
    assert evidence.attempt_id == attempt.id and evidence.content_type == "application/pdf"
    assert published.public_until == attempt.effective_at + PUBLIC_RETENTION
    assert [a.id for a in await public_notices(found.court_id, now=now())] == [found.id]

    again = await _publish(db, found, publisher)   # a repeated callback changes nothing
    assert again.evidence_id == published.evidence_id
    assert await Evidence.filter(attempt_id=attempt.id).count() == 1


async def test_abroad_takes_sixty_days(db):
    found, _, (_, server, _, _) = await announcement_case(db, abroad=True)
    assert "六十日" in found.text
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    await _publish(db, found, publisher)
    attempt = await Attempt.get(id=found.attempt_id)
    assert attempt.effective_at.astimezone(BEIJING).date() == now().astimezone(BEIJING).date() + timedelta(days=60)
    assert "第283条" in attempt.effect_rule


async def test_the_public_page_withdraws_a_notice_after_its_retention(db):
    found, _, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    published = await _publish(db, found, publisher)
    assert await public_notices(found.court_id, now=published.public_until - timedelta(seconds=1))
    assert not await public_notices(found.court_id, now=published.public_until)


async def test_refused_for_a_served_recipient_and_for_another_courts_recipient(db):
    found, recipient, (_, server, _, clerk) = await announcement_case(db)
    with pytest.raises(Conflict, match="已有进行中的公告送达"):
        await request_announcement(clerk, recipient.id, abroad=False, collect_at="", now=now(), meta=META)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    await _publish(db, found, publisher)
    before = await Attempt.filter(recipient_id=recipient.id).count()
    with pytest.raises(Conflict, match="已送达成功"):
        await request_announcement(clerk, recipient.id, abroad=False, collect_at="", now=now(), meta=META)
    assert await Attempt.filter(recipient_id=recipient.id).count() == before

    other_court = await make_court("桂0102", "示范市青秀区人民法院")
    _, strangers, _ = await make_service(other_court, db)
    with pytest.raises(NotFound):
        await request_announcement(clerk, strangers[0].id, abroad=False, collect_at="", now=now(), meta=META)


async def test_submission_needs_an_assignee_and_a_settled_fee_and_text_without_personal_numbers(db):
    found, _, (_, server, _, clerk) = await announcement_case(db)
    await Announcement.filter(id=found.id).update(fee_status=FeeStatus.PENDING)
    with pytest.raises(ValidationFailed, match="公告费"):
        await submit_announcement(server, found.id, publisher=DevPublisher(), callback_url=CALLBACK, now=now(),
                                  meta=META)
    with pytest.raises(ValidationFailed, match="请先选择"):
        await record_fee(clerk, found.id, payer=FeePayer.UNDECIDED, status=FeeStatus.WAIVED, note="", now=now(),
                         meta=META)
    await record_fee(clerk, found.id, payer=FeePayer.COURT, status=FeeStatus.WAIVED, note="司法救助", now=now(),
                     meta=META)
    for bad in ("身份证号450102199001011234", "电话13800138000", "电话0771-5551234"):
        with pytest.raises(ValidationFailed) as refused:
            await edit_text(clerk, found.id, title=found.title, text=found.text + bad, now=now(), meta=META)
        assert "身份证号码或电话号码" in str(refused.value.details)
    edited = await edit_text(clerk, found.id, title="公告", text="改过的公告内容", now=now(), meta=META)
    assert edited.text == "改过的公告内容"


async def test_an_unassigned_announcement_is_not_submitted(db):
    found, recipient, (_, server, _, clerk) = await announcement_case(db)
    await Attempt.filter(id=found.attempt_id).update(status=TaskStatus.UNASSIGNED, assignee_id=None)
    with pytest.raises(NotFound):   # the process server no longer holds it
        await submit_announcement(server, found.id, publisher=DevPublisher(), callback_url=CALLBACK, now=now(),
                                  meta=META)
    with pytest.raises(Conflict, match="尚未分派"):
        await submit_announcement(clerk, found.id, publisher=DevPublisher(), callback_url=CALLBACK, now=now(),
                                  meta=META)


async def test_bad_signature_is_refused_and_nothing_changes(db):
    found, _, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    body, _ = publisher.callback(found.paper_ref, PaperStatus.PUBLISHED, published_on=now().date())
    with pytest.raises(CallbackRejected):
        await receive_callback(body, "0" * 64, publisher=publisher, storage=storage(db),
                               max_evidence_bytes=db.max_evidence_bytes, now=now(), meta=META)
    assert (await Announcement.get(id=found.id)).status is AnnouncementStatus.SUBMITTED


async def test_returned_then_edited_and_resubmitted_and_a_late_one_is_flagged(db):
    found, _, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    body, signature = publisher.callback(found.paper_ref, PaperStatus.RETURNED, reason="格式不符")
    returned = await receive_callback(body, signature, publisher=publisher, storage=storage(db),
                                      max_evidence_bytes=db.max_evidence_bytes, now=now(), meta=META)
    assert (returned.status, returned.returned_reason) == (AnnouncementStatus.RETURNED, "格式不符")
    await edit_text(server, found.id, title=found.title, text=found.text + "（已更正）", now=now(), meta=META)
    again = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    assert again.status is AnnouncementStatus.SUBMITTED and again.paper_ref != found.paper_ref

    assert await flag_overdue(now=now() + timedelta(days=14)) == 0
    assert await flag_overdue(now=now() + timedelta(days=16)) == 1
    assert await flag_overdue(now=now() + timedelta(days=17)) == 0
    assert (await Announcement.get(id=found.id)).overdue_at is not None
    assert await Event.filter(type="announcement.overdue").count() == 1


async def test_two_requests_at_once_open_one_announcement(db):
    import asyncio

    from tests.centre.helpers import centre_people

    court = await make_court()
    _, _, _, clerk = await centre_people(db, court)
    _, people, _ = await make_service(court, db, channels=["sms", "phone"])
    results = await asyncio.gather(*[request_announcement(clerk, people[0].id, abroad=False, collect_at="", now=now(),
                                                          meta=META) for _ in range(2)], return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Announcement", "Conflict"]
    assert await Announcement.all().count() == 1


async def test_a_publication_for_a_task_handed_back_is_a_conflict_the_paper_retries(db):
    found, _, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    await Attempt.filter(id=found.attempt_id).update(status=TaskStatus.HANDED_BACK, assignee_id=None)
    with pytest.raises(Conflict, match="无承办人"):
        await _publish(db, found, publisher)
    assert (await Announcement.get(id=found.id)).status is AnnouncementStatus.SUBMITTED
    assert not await Evidence.filter(attempt_id=found.attempt_id).exists()


async def test_the_service_report_names_the_publication(db):
    from receipts.service_report import report_rows
    from service.models import Case

    found, recipient, (_, server, _, _) = await announcement_case(db)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url=CALLBACK, now=now(),
                                      meta=META)
    await _publish(db, found, publisher)
    service = await Service.get(id=recipient.service_id)
    rows = await report_rows(await Case.get(id=service.case_id))
    line = next(r for r in rows if r.channel == "公告送达")
    assert "人民法院报" in line.result and "第7版 G3" in line.result and "公告送达" in line.result
