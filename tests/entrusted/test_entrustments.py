"""委托送达 between courts: the sealed letter, the task in the receiving court's centre (that
recipient and those documents only; everything else of the entrusting court is 404), the close
flowing back, the package and the result by hand for a court off the platform, the ten days."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from centre.handling import Closing, close_task
from centre.queries import task_detail
from centre.scope import Scope
from centre.tasks import task_in_scope
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from documents.storage import LocalStorage
from entrusted.entrustments import (
    SERVE_WITHIN,
    entrust,
    entrustment_in_scope,
    flag_overdue,
    package_zip,
    record_result,
)
from entrusted.models import Entrustment
from receipts.seal import Sealer
from receipts.service_report import report_rows
from service.choices import Outcome, ServiceMethod, TaskStatus
from service.models import Attempt, Case, Service
from tests.centre.helpers import centre_people
from tests.factories import make_court, make_service
from tests.fakes.pdf import one_page_pdf

META = RequestMeta.none()
ADDRESS = "示范市城中区人民法院立案庭"


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _courts(db):
    a = await make_court()
    b = await make_court("桂0102", "示范市青秀区人民法院")
    a_people = await centre_people(db, a)
    b_people = await centre_people(db, b)
    _, recipients, _ = await make_service(a, db, recipients=2, channels=["sms", "phone"])
    return a, b, a_people, b_people, recipients


def _kw(db):
    return {"sealer": Sealer.from_settings(db), "storage": LocalStorage(db.files_dir), "settings": db, "now": now(),
            "meta": META}


async def test_entrusted_to_a_court_on_the_platform_appears_in_its_queue_and_flows_back(db):
    a, b, (_, _, _, a_clerk), (b_dispatcher, b_server, _, b_clerk), recipients = await _courts(db)
    found = await entrust(a_clerk, recipients[0].id, to_court_id=b.id, to_court_name="", return_address=ADDRESS,
                          **_kw(db))
    letter = LocalStorage(db.files_dir).get(found.letter_sha256)
    assert letter.startswith(b"%PDF") and b"/ByteRange" in letter   # sealed
    attempt = await Attempt.get(id=found.attempt_id)
    assert (attempt.court_id, attempt.centre_id, attempt.status) == (a.id, b.centre_id, TaskStatus.UNASSIGNED)
    assert found.due_at == attempt.due_at and abs(found.due_at - now() - SERVE_WITHIN) < timedelta(minutes=1)

    detail = await task_detail(b_dispatcher, attempt.id)
    assert detail.recipient.id == recipients[0].id and detail.documents
    others = await Attempt.filter(service_id=attempt.service_id).exclude(id=attempt.id)
    assert others
    for scope in (b_dispatcher, b_server, b_clerk):
        for other in others:
            with pytest.raises(NotFound):
                await task_in_scope(scope, other.id)
    with pytest.raises(NotFound):
        await entrustment_in_scope(b_clerk, found.id)
    with pytest.raises(NotFound):
        await task_in_scope(b_clerk, attempt.id)

    await assign_tasks(b_dispatcher, [attempt.id], b_server.assignee_id, now=now(), meta=META)
    served_at = now() - timedelta(hours=1)
    closed = await close_task(b_server, attempt.id, Closing(Outcome.SERVED, ServiceMethod.ENTRUSTED, served_at),
                              now=now(), meta=META)
    mine = await task_in_scope(a_clerk, attempt.id)
    assert (mine.outcome, mine.effective_at) == (Outcome.SERVED, served_at) == (closed.outcome, closed.effective_at)
    assert "民诉法解释第134条" in mine.effect_rule
    assert await flag_overdue(now=now() + timedelta(days=11)) == 0   # closed in time


async def test_a_court_that_does_not_exist_is_refused_and_nothing_is_written(db):
    a, _, (_, _, _, a_clerk), _, recipients = await _courts(db)
    before = await Attempt.all().count()
    for court_id in (999999, 0, a.id):
        with pytest.raises(ValidationFailed):
            await entrust(a_clerk, recipients[0].id, to_court_id=court_id, to_court_name="", return_address=ADDRESS,
                          **_kw(db))
    with pytest.raises(ValidationFailed, match="受托法院"):
        await entrust(a_clerk, recipients[0].id, to_court_id=None, to_court_name=" ", return_address=ADDRESS,
                      **_kw(db))
    assert await Attempt.all().count() == before and not await Entrustment.exists()


async def test_off_the_platform_the_package_and_the_result_by_hand(db):
    _, _, (_, _, _, a_clerk), _, recipients = await _courts(db)
    found = await entrust(a_clerk, recipients[0].id, to_court_id=None, to_court_name="远方市人民法院",
                          return_address=ADDRESS, **_kw(db))
    attempt = await Attempt.get(id=found.attempt_id)
    assert attempt.centre_id is None and attempt.status is TaskStatus.IN_PROGRESS
    with pytest.raises(Conflict, match="已有进行中的委托送达"):
        await entrust(a_clerk, recipients[0].id, to_court_id=None, to_court_name="远方市人民法院",
                      return_address=ADDRESS, **_kw(db))
    _, data = await package_zip(a_clerk, found.id, storage=LocalStorage(db.files_dir))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names[0] == "01-委托送达函.pdf" and len(names) >= 2

    kw = {"storage": LocalStorage(db.files_dir), "max_evidence_bytes": db.max_evidence_bytes, "now": now(),
          "meta": META}
    with pytest.raises(ValidationFailed, match="送达回证"):
        await record_result(a_clerk, found.id, served=True, served_at=now(), failure_text="", receipt=None, **kw)
    closed = await record_result(a_clerk, found.id, served=True, served_at=now() - timedelta(hours=2),
                                 failure_text="", receipt=(one_page_pdf("receipt"), "回证.pdf"), **kw)
    assert closed.outcome is Outcome.SERVED and closed.method is ServiceMethod.ENTRUSTED
    rows = await report_rows(await Case.get(id=(await Service.get(id=closed.service_id)).case_id))
    assert any(r.channel == "委托送达" and "受托法院：远方市人民法院" in r.result for r in rows)
    with pytest.raises(Conflict):
        await record_result(a_clerk, found.id, served=True, served_at=now(), failure_text="",
                            receipt=(one_page_pdf("again"), "回证.pdf"), **kw)


async def test_overdue_after_ten_days(db):
    _, b, (_, _, _, a_clerk), _, recipients = await _courts(db)
    found = await entrust(a_clerk, recipients[0].id, to_court_id=b.id, to_court_name="", return_address=ADDRESS,
                          **_kw(db))
    assert await flag_overdue(now=now() + timedelta(days=9)) == 0
    assert await flag_overdue(now=now() + timedelta(days=11)) == 1
    assert await flag_overdue(now=now() + timedelta(days=12)) == 0
    assert (await Entrustment.get(id=found.id)).overdue_at is not None


async def test_centre_staff_cannot_entrust(db):
    _, b, (dispatcher, _, _, _), _, recipients = await _courts(db)
    with pytest.raises(Forbidden):
        await entrust(Scope(dispatcher.staff_id, centre_id=dispatcher.centre_id), recipients[0].id, to_court_id=b.id,
                      to_court_name="", return_address=ADDRESS, **_kw(db))
