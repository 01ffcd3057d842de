"""Console pages and actions with data made by the real use cases: lists and filters, case,
service and person tracking, signature and receipt, actions audited, roles, other courts."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from audit.choices import ActorKind, EventType
from audit.models import Event
from service.choices import DeliveryState, ServiceStatus
from service.models import Delivery, Service
from tests.court.console.helpers import logged_in
from tests.factories import make_court, make_service, make_signed_delivery, make_staff


async def _clerk(http, db, court=None, role="clerk"):
    account, password, secret = await make_staff(court, role=role, settings=db)
    return account, await logged_in(http, account, password, secret)


async def test_services_list_filters(http, db):
    court = await make_court()
    open_one, _, _ = await make_service(court, db)
    portal_only, _, _ = await make_service(court, db, channels=["portal"])
    revoked, _, _ = await make_service(court, db)
    await Service.filter(id=revoked.id).update(status=ServiceStatus.REVOKED)
    await _clerk(http, db, court)
    listing = (await http.get("/console/")).text
    assert all(f"/console/services/{s.id}\"" in listing for s in (open_one, portal_only, revoked))
    only_revoked = (await http.get("/console/?status=revoked")).text
    assert f"/console/services/{revoked.id}\"" in only_revoked and f"/console/services/{open_one.id}\"" not in only_revoked
    await open_one.fetch_related("case")
    by_case = (await http.get("/console/", params={"case_number": open_one.case.case_number[-6:]})).text
    assert f"/console/services/{open_one.id}\"" in by_case and "共 1 条送达" in by_case
    by_channel = (await http.get("/console/?channel=sms")).text
    assert f"/console/services/{portal_only.id}\"" not in by_channel
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%d")
    assert "共 0 条送达" in (await http.get(f"/console/?from={tomorrow}")).text
    bad = await http.get("/console/?from=2024-13-45")
    assert bad.status_code == 422 and "格式" in bad.text
    bad = await http.get("/console/?status=nonsense")
    assert bad.status_code == 422 and "状态无效" in bad.text


async def test_case_service_and_person_pages(http, db):
    court = await make_court()
    service, person, delivery, receipt = await make_signed_delivery(db, court=court)
    await _clerk(http, db, court)
    case = (await http.get(f"/console/cases/{service.case_id}")).text
    assert person.name in case and "已签收" in case and "下载送达报告" in case
    page = await http.get(f"/console/services/{service.id}")
    assert page.status_code == 200
    for label in ("送达已创建", "链接已打开", "身份已验证", "已签收"):
        assert label in page.text, label
    assert f"/console/deliveries/{delivery.id}/signature.png" in page.text
    image = await http.get(f"/console/deliveries/{delivery.id}/signature.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "no-store"
    person_page = await http.get(f"/console/recipients/{person.id}")
    assert person_page.status_code == 200 and person.phone_masked in person_page.text
    assert person.name in person_page.text
    report = await http.get(f"/console/cases/{service.case_id}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in report.headers["content-disposition"]
    pending = await http.get(f"/console/receipts/{receipt.id}/receipt.pdf")
    assert pending.status_code == 409 and "正在生成" in pending.text


async def test_extend_revoke_and_resend_are_audited(http, db):
    court = await make_court()
    service, people, _ = await make_service(court, db, recipients=2)
    account, token = await _clerk(http, db, court)
    until = (datetime.now(timezone.utc) + timedelta(days=60)).astimezone(timezone(timedelta(hours=8)))
    done = await http.post(f"/console/services/{service.id}/extend",
                           data={"csrf_token": token, "until": until.strftime("%Y-%m-%d")})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=extend")
    fresh = await Service.get(id=service.id)
    assert fresh.expires_at > service.expires_at + timedelta(days=25)
    earlier = await http.post(f"/console/services/{service.id}/extend",
                              data={"csrf_token": token, "until": "2020-01-01"})
    assert earlier.status_code == 422 and "晚于" in earlier.text

    sms = await Delivery.get(recipient=people[0], channel="sms")
    first = await http.post(f"/console/deliveries/{sms.id}/resend", data={"csrf_token": token})
    assert first.status_code == 303  # still "created": this sends the first notice
    assert (await Delivery.get(id=sms.id)).state is DeliveryState.NOTIFIED
    again = await http.post(f"/console/deliveries/{sms.id}/resend", data={"csrf_token": token})
    assert again.status_code == 303
    texts = [json.loads(line) for line in (db.data_dir / "dev-sms.jsonl").read_text("utf-8").splitlines()]
    links = [t["params"]["link"] for t in texts if t["template"] == "service_notice"]
    assert len(links) == 2 and links[0] != links[1]
    await http.post(f"/console/deliveries/{sms.id}/resend", data={"csrf_token": token})
    limited = await http.post(f"/console/deliveries/{sms.id}/resend", data={"csrf_token": token})
    assert limited.status_code == 429 and "最多重发" in limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 3600

    refused = await http.post(f"/console/services/{service.id}/revoke", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    revoked = await http.post(f"/console/services/{service.id}/revoke",
                              data={"csrf_token": token, "reason": "当事人已到庭领取"})
    assert revoked.status_code == 303
    assert (await Service.get(id=service.id)).status is ServiceStatus.REVOKED
    staff_events = await Event.filter(service_id=service.id, actor_kind=ActorKind.STAFF).values_list("type", flat=True)
    assert EventType.SERVICE_EXTENDED in staff_events and EventType.SERVICE_REVOKED in staff_events
    assert EventType.DELIVERY_NOTICE_RESENT in staff_events
    assert all(e.actor_id == str(account.id) for e in await Event.filter(service_id=service.id,
                                                                          actor_kind=ActorKind.STAFF))
    timeline = (await http.get(f"/console/services/{service.id}")).text
    assert "送达期限已延长" in timeline and "已重发通知" in timeline and "当事人已到庭领取" in timeline
    # Deliveries named as staff know them, never by an internal id.
    assert f"送达 {sms.id}<" not in timeline and f"· 送达 {sms.id}" not in timeline
    assert "（短信链接）" in timeline


async def test_forms_need_the_session_csrf_token(http, db):
    court = await make_court()
    service, _, _ = await make_service(court, db)
    await _clerk(http, db, court)
    for data in ({}, {"csrf_token": "0" * 64}):
        response = await http.post(f"/console/services/{service.id}/revoke", data={**data, "reason": "x"})
        assert response.status_code == 403
    assert (await Service.get(id=service.id)).status is ServiceStatus.IN_PROGRESS


async def test_judge_views_but_does_not_act(http, db):
    court = await make_court()
    service, people, _ = await make_service(court, db)
    _, token = await _clerk(http, db, court, role="judge")
    assert (await http.get(f"/console/services/{service.id}")).status_code == 200
    assert (await http.get(f"/console/cases/{service.case_id}/report.pdf")).status_code == 200
    sms = await Delivery.get(recipient=people[0], channel="sms")
    for path, data in ((f"/console/services/{service.id}/revoke", {"reason": "x"}),
                       (f"/console/services/{service.id}/extend", {"until": "2099-01-01"}),
                       (f"/console/deliveries/{sms.id}/resend", {})):
        response = await http.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403 and "无权" in response.text, path
    assert (await http.get("/console/staff")).status_code == 403
    assert (await Service.get(id=service.id)).status is ServiceStatus.IN_PROGRESS


async def test_admin_sees_the_staff_list(http, db):
    court = await make_court()
    clerk, _, _ = await make_staff(court, settings=db)
    await _clerk(http, db, court, role="admin")
    page = await http.get("/console/staff")
    assert page.status_code == 200 and clerk.login in page.text


async def test_another_courts_ids_are_404(http, db):
    mine, theirs = await make_court(), await make_court("桂0102", "南宁市兴宁区人民法院")
    service, person, delivery, receipt = await make_signed_delivery(db, court=theirs)
    _, token = await _clerk(http, db, mine)
    for path in (f"/console/cases/{service.case_id}", f"/console/services/{service.id}",
                 f"/console/recipients/{person.id}", f"/console/deliveries/{delivery.id}/signature.png",
                 f"/console/receipts/{receipt.id}/receipt.pdf", f"/console/cases/{service.case_id}/report.pdf"):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert person.name not in response.text
    for path in (f"/console/services/{service.id}/revoke", f"/console/services/{service.id}/extend",
                 f"/console/deliveries/{delivery.id}/resend"):
        assert (await http.post(path, data={"csrf_token": token, "reason": "x", "until": "2099-01-01"})).status_code == 404
    assert f"/console/services/{service.id}\"" not in (await http.get("/console/")).text


async def test_statistics_page(http, db):
    court = await make_court()
    await make_signed_delivery(db, court=court)
    await make_service(court, db)
    await _clerk(http, db, court)
    page = await http.get("/console/stats")
    assert page.status_code == 200
    assert '<svg class="chart"' in page.text and "按状态" in page.text and "按渠道" in page.text
    assert 'id="total-services">2<' in page.text and 'id="success-rate">50.0%<' in page.text
    # A signing that took seconds is not "0.0 小时".
    assert 'id="median">不到 1 分钟<' in page.text or "分钟<" in page.text
    assert "0.0 小时" not in page.text
    assert (await http.get("/console/stats?from=oops")).status_code == 422


async def test_non_ascii_digits_in_page_numbers_are_ignored_not_500(http, db):
    await _clerk(http, db, await make_court())
    for path in ("/console/?page=%C2%B2", "/console/webhooks?page=%C2%B2", "/console/webhooks?client=%D9%A3"):
        assert (await http.get(path)).status_code == 200, path


async def test_over_long_filters_are_refused_with_the_fields_name_not_500(http, db):
    await _clerk(http, db, await make_court(), role="admin")
    cases = [("/console/", {"case_number": "（2024）桂1202民初" + "1" * 100}, "案号过长（最多 64 个字符）"),
             ("/console/", {"from": "2024-05-01" + " " * 40}, "开始日期过长"),
             ("/console/", {"status": "x" * 10_000}, "状态过长"),
             ("/console/stats", {"to": "9" * 1_000}, "结束日期过长"),
             ("/console/webhooks", {"outcome": "x" * 100}, "结果过长"),
             ("/console/webhooks", {"client": "1" * 100}, "调用方过长")]
    for path, params, message in cases:
        page = await http.get(path, params=params)
        assert page.status_code == 422 and message in page.text, (path, params, page.status_code)
    # At the limit is still a filter: a 64-character case number finds nothing, and says so.
    page = await http.get("/console/", params={"case_number": "1" * 64})
    assert page.status_code == 200 and "共 0 条送达" in page.text


async def test_timeline_names_the_document_read(http, db):
    court = await make_court()
    service, person, delivery, _ = await make_signed_delivery(db, court=court)
    await _clerk(http, db, court)
    timeline = (await http.get(f"/console/services/{service.id}")).text
    titles = [e for e in await Event.filter(service_id=service.id, type=EventType.DOCUMENT_VIEWED)]
    assert titles and 'class="document-title">《' in timeline
    assert f"{person.name}（短信链接）" in timeline and f"· 送达 {delivery.id}" not in timeline


async def test_favicon_is_served(http, db):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = await http.get(path)
        assert response.status_code == 200 and b"<svg" in response.content, path
