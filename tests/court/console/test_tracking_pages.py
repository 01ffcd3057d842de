"""按案件跟踪, 按受送达人跟踪 and 总体统计 (with its xlsx) through the console, per role; bad input
is a Chinese page with a 4xx, never a 500."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from openpyxl import load_workbook

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from centre.handling import Closing, close_task, record_contact
from centre.scope import Scope
from service.choices import ContactKind, Outcome, ServiceMethod
from service.models import Attempt
from tests.centre.helpers import centre_people
from tests.court.console.helpers import post_login, totp
from tests.factories import make_court, make_signed_delivery, make_staff, recipient_body, serve_people

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def _login(http, db, court, role):
    """Log a staff member of ``role`` in (centre staff land on a page they may not see: no token)."""
    account, password, secret = await make_staff(court, role=role, settings=db)
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303, done.text
    return account


async def test_clerk_tracks_a_case_and_a_person(http, db):
    court = await make_court()
    service, person, _, _ = await make_signed_delivery(db, court=court)
    await _login(http, db, court, "clerk")
    page = (await http.get(f"/console/services/{service.id}")).text
    assert f'href="/console/track/case/{service.case_id}"' in page
    case = await http.get(f"/console/track/case/{service.case_id}")
    assert case.status_code == 200 and "按案件跟踪" in case.text
    assert person.name in case.text and "served-mark" in case.text and "track-served" in case.text
    assert "短信链接：已签收" in case.text and "highlight" in case.text
    assert f'href="/console/track/recipient/{person.id}"' in case.text
    one = await http.get(f"/console/track/recipient/{person.id}")
    assert one.status_code == 200 and "按证件号码匹配" in one.text and "文书已查看：《" in one.text
    elsewhere = await make_court(code="桂0102", name="示范市另一区人民法院")
    other, _, _, _ = await make_signed_delivery(db, court=elsewhere)
    for url in (f"/console/track/case/{other.case_id}", "/console/track/case/99999999999",
                "/console/track/recipient/-1", "/console/track/recipient/abc"):
        missing = await http.get(url)
        assert missing.status_code == 404 and "不存在" in missing.text, url


async def test_a_process_server_tracks_only_their_own_recipients(http, db):
    court = await make_court()
    dispatcher, _, _, _ = await centre_people(db, court)
    service, people, _ = await serve_people(db, [recipient_body(name="张三", channels=["sms", "phone"]),
                                                 recipient_body(name="李四", channels=["sms", "mail"])], court=court)
    server = await _login(http, db, court, "process_server")
    task = await Attempt.get(recipient_id=people[0].id, channel="phone")
    await assign_tasks(dispatcher, [task.id], server.id, now=NOW, meta=META)
    scope = Scope(server.id, centre_id=server.centre_id, assignee_id=server.id)
    await record_contact(scope, task.id, kind=ContactKind.CALL, contacted_at=NOW, result="<b>已接通</b>",
                         now=NOW, meta=META)
    page = await http.get(f"/console/track/case/{service.case_id}")
    assert page.status_code == 200 and "张三" in page.text and "李四" not in page.text
    assert "&lt;b&gt;已接通&lt;/b&gt;" in page.text and "<b>已接通" not in page.text
    assert (await http.get(f"/console/track/recipient/{people[1].id}")).status_code == 404
    assert (await http.get("/console/stats/centre")).status_code == 403
    assert (await http.get("/console/stats/centre.xlsx")).status_code == 403


async def test_statistics_page_and_xlsx(http, db):
    court = await make_court()
    dispatcher, server, _, _ = await centre_people(db, court)
    _, people, _ = await serve_people(db, [recipient_body(channels=["sms", "phone"])], court=court)
    task = await Attempt.get(recipient_id=people[0].id, channel="phone")
    await assign_tasks(dispatcher, [task.id], server.staff_id, now=NOW, meta=META)
    await close_task(server, task.id, Closing(Outcome.SERVED, ServiceMethod.PHONE, NOW), now=NOW, meta=META)
    await _login(http, db, court, "dispatcher")
    today = (NOW + timedelta(hours=8)).strftime("%Y-%m-%d")
    page = await http.get("/console/stats/centre", params={"from": today, "to": today})
    assert page.status_code == 200 and "<svg" in page.text and "总体统计" in page.text
    assert "电话送达（当事人确认收悉） 1" in page.text and 'id="channel-total"' in page.text
    assert "<script" not in page.text and "cdn" not in page.text.lower()
    assert "按 1 小时分档" in page.text and "尚未汇总" in page.text    # the precision, and no roll-up yet
    xlsx = await http.get("/console/stats/centre.xlsx", params={"from": today, "to": today})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = xlsx.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="statistics-') and "filename*=UTF-8''" in disposition
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = {r[0]: r for r in book["按送达方式"].iter_rows(min_row=3, values_only=True)}
    assert rows["电话联系"][4:7] == (1, 1, 1) and rows["合计"][4] == 2
    assert [r[1:] for r in book["按工作人员"].iter_rows(min_row=3, values_only=True)] == [(1, 1, 0)]
    for params, words in (({"from": "2024-13-01"}, "格式"), ({"from": "2024-01-01", "to": "2025-06-01"}, "366"),
                          ({"from": "2025-03-10", "to": "2025-03-01"}, "不能晚于"),
                          ({"from": "9999-12-30", "to": "9999-12-31"}, "2099")):
        bad = await http.get("/console/stats/centre", params=params)
        assert bad.status_code == 422 and words in bad.text, params
        bad = await http.get("/console/stats/centre.xlsx", params=params)
        assert bad.status_code == 422 and words in bad.text and "spreadsheet" not in bad.headers["content-type"]
