"""总体统计 on a known set of attempts: per channel figures (median and p90 from handling-time
buckets; exact in the direct computation), pickup routes, per staff workload, scoping, the date
range, the roll-up giving the same figures, and the xlsx export."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from centre.statistics import Period, centre_statistics, period
from centre.statistics_direct import direct_statistics
from centre.statistics_export import statistics_workbook
from centre.statistics_rollup import roll_up_statistics
from core.errors import Forbidden, ValidationFailed
from court.console.models import StaffAccount
from service.choices import Channel, Outcome, ServiceMethod, TaskStatus
from service.models import Attempt
from tests.centre.helpers import centre_people
from tests.factories import make_court, recipient_body, serve_people

T0 = datetime(2025, 3, 10, 2, 0, tzinfo=timezone.utc)
SPAN = Period(date(2025, 3, 1), date(2025, 3, 31))


async def _close(attempt: Attempt, hours: float, outcome: Outcome, method: ServiceMethod | None = None,
                 **more) -> None:
    closed = T0 + timedelta(hours=hours)
    await Attempt.filter(id=attempt.id).update(
        status=TaskStatus.CLOSED, outcome=outcome, method=method, closed_at=closed,
        served_at=closed if outcome is Outcome.SERVED else None, **more)


async def _seeded(db):
    """Service 1 (2 documents): two recipients on sms + phone; service 2 (1 document): one on
    sms + mail. sms closed after 1 h (served), 3 h (served), 5 h (failed); phone after 2 h
    (served) and 10 h (failed, after its due time); mail open past its due time."""
    court = await make_court()
    dispatcher, server, other, clerk = await centre_people(db, court)
    first, people1, _ = await serve_people(db, [recipient_body(channels=["sms", "phone"]),
                                                recipient_body(channels=["sms", "phone"])], documents=2, court=court)
    second, people2, _ = await serve_people(db, [recipient_body(channels=["sms", "mail"])], documents=1, court=court)
    await Attempt.filter(service_id__in=[first.id, second.id]).update(created_at=T0)
    sms = await Attempt.filter(service_id__in=[first.id, second.id], channel="sms").order_by("id")
    phone = await Attempt.filter(service_id=first.id, channel="phone").order_by("id")
    mail = await Attempt.get(service_id=second.id, channel="mail")
    await _close(sms[0], 1, Outcome.SERVED, ServiceMethod.ELECTRONIC)
    await _close(sms[1], 3, Outcome.SERVED, ServiceMethod.ELECTRONIC)
    await _close(sms[2], 5, Outcome.FAILED)
    await _close(phone[0], 2, Outcome.SERVED, ServiceMethod.PHONE, assignee_id=server.staff_id,
                 due_at=T0 + timedelta(days=3))
    await _close(phone[1], 10, Outcome.FAILED, assignee_id=server.staff_id, due_at=T0 + timedelta(hours=5))
    await Attempt.filter(id=mail.id).update(status=TaskStatus.ASSIGNED, assignee_id=other.staff_id,
                                            due_at=T0 + timedelta(days=1))
    # Outside the range, and another court: not counted.
    old, _, _ = await serve_people(db, [recipient_body(channels=["sms"])], court=court)
    await Attempt.filter(service_id=old.id).update(created_at=T0 - timedelta(days=40))
    elsewhere = await make_court(code="桂0102", name="示范市另一区人民法院")
    await serve_people(db, [recipient_body(channels=["sms", "phone"])], court=elsewhere)
    await Attempt.filter(court_id=elsewhere.id).update(created_at=T0)
    return dispatcher, server, other, clerk


async def test_figures_per_channel_and_staff(db):
    dispatcher, server, other, clerk = await _seeded(db)
    stats = await centre_statistics(clerk, SPAN, now=T0 + timedelta(days=5))
    by = {f.channel: f for f in stats.channels}
    sms, phone, mail, total = by[Channel.SMS], by[Channel.PHONE], by[Channel.MAIL], stats.total
    assert (sms.cases, sms.recipients, sms.documents, sms.attempts, sms.closed, sms.served) == (2, 3, 3, 3, 3, 2)
    # Handling times in 1-hour buckets, each rank at its bucket's middle (1, 3, 5 h → 1.5, 3.5, 5.5).
    assert (sms.median_hours, sms.p90_hours) == (3.5, 5.1)
    assert (phone.cases, phone.recipients, phone.documents, phone.attempts) == (1, 2, 2, 2)
    assert (phone.median_hours, phone.p90_hours, phone.success_share) == (6.5, 9.7, 0.5)
    assert (mail.attempts, mail.closed, mail.median_hours, mail.success_share) == (1, 0, None, None)
    assert (total.label, total.cases, total.recipients, total.documents, total.attempts) == ("合计", 2, 3, 3, 6)
    assert (total.median_hours, total.p90_hours, total.success_share) == (3.5, 8.5, 0.6)
    assert by[Channel.PORTAL].attempts == 0 and by[Channel.PORTAL].median_hours is None
    assert sms.routes == {"电子送达·短信链接": 2} and phone.routes == {"电话送达（当事人确认收悉）": 1}
    assert stats.routes == {"电子送达·短信链接": 2, "电话送达（当事人确认收悉）": 1}
    staff = {s.staff_id: (s.workload, s.closed, s.overdue) for s in stats.staff}
    assert staff == {server.staff_id: (2, 2, 1), other.staff_id: (1, 0, 1)}
    # The dispatcher sees the same centre; before the mail's due time nothing of it is overdue.
    early = await centre_statistics(dispatcher, SPAN, now=T0 + timedelta(hours=1))
    assert early.total.attempts == 6
    assert {s.staff_id: s.overdue for s in early.staff} == {server.staff_id: 1, other.staff_id: 0}
    with pytest.raises(Forbidden):
        await centre_statistics(server, SPAN, now=T0)


async def test_rolled_up_and_direct_agree(db):
    """The direct computation has exact quantiles; after the roll-up the page reads the same
    figures from it (no day of March left live)."""
    _, _, _, clerk = await _seeded(db)
    now = T0 + timedelta(days=5)
    exact = await direct_statistics(clerk, SPAN, now=now)
    sms = next(f for f in exact.channels if f.channel is Channel.SMS)
    assert (sms.median_hours, sms.p90_hours) == (3.0, 4.6)
    live = await centre_statistics(clerk, SPAN, now=now)
    assert live.rolled_at is None and live.live_days == 31
    while await roll_up_statistics(now=datetime(2025, 4, 10, tzinfo=timezone.utc)):
        pass
    rolled = await centre_statistics(clerk, SPAN, now=now)
    assert rolled.rolled_at is not None and rolled.live_days == 0
    assert rolled.channels == live.channels and rolled.staff == live.staff


async def test_xlsx_has_the_figures(db):
    _, server, _, clerk = await _seeded(db)
    await StaffAccount.filter(id=server.staff_id).update(display_name="=cmd|' /C calc'!A0")
    stats = await centre_statistics(clerk, SPAN, now=T0 + timedelta(days=5))
    book = load_workbook(io.BytesIO(statistics_workbook(stats)))
    assert book.sheetnames == ["按送达方式", "领取途径", "按工作人员"]
    rows = {r[0]: r for r in book["按送达方式"].iter_rows(min_row=3, values_only=True)}
    assert rows["短信链接"][1:10] == (2, 3, 3, 3, 3, 2, pytest.approx(2 / 3), 3.5, 5.1)
    assert rows["合计"][1:5] == (2, 3, 3, 6) and rows["合计"][9] == 8.5
    routes = dict(book["领取途径"].iter_rows(min_row=3, values_only=True))
    assert routes == {"电子送达·短信链接": 2, "电话送达（当事人确认收悉）": 1}
    staff = list(book["按工作人员"].iter_rows(min_row=3))
    name_cell = next(row[0] for row in staff if row[1].value == 2)
    assert name_cell.data_type == "s" and name_cell.value.startswith("=cmd")


def test_period_is_checked():
    today = date(2025, 3, 31)
    assert period(None, None, today=today) == Period(date(2025, 3, 2), today)
    assert period("2024-01-01", "2024-12-31", today=today).end == date(2024, 12, 31)   # 366 days
    for start, end, code in (("2025-03-10", "2025-03-01", "bad_range"), ("2024-01-01", "2025-01-01", "range_too_long"),
                             ("2025-13-01", None, "bad_date"), ("yesterday", None, "bad_date"),
                             ("9999-12-01", "9999-12-31", "bad_date"), ("0001-01-01", "0001-01-02", "bad_date")):
        with pytest.raises(ValidationFailed) as raised:
            period(start, end, today=today)
        assert raised.value.code == code and raised.value.message
