"""公告送达 over HTTP: the clerk's request page (the attempts so far), the fee and text forms with
CSRF, the submission, the paper's callbacks (bad signatures refused), the public page, its Atom
feed and snippet (no ID numbers, no phones), and every refusal a Chinese 4xx, never a 500."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from announcement.choices import AnnouncementStatus, PaperStatus
from announcement.models import Announcement
from announcement.publishers.dev import DevPublisher
from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from service.choices import Channel, Outcome
from service.models import Attempt
from tests.centre.helpers import centre_people
from tests.court.console.helpers import csrf, logged_in
from tests.factories import make_court, make_service, make_staff

PERSONAL = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
CALLBACK = "/announcement/paper/callback"


async def _clerk(http, db, court):
    account, password, secret = await make_staff(court, "clerk", settings=db)
    return await logged_in(http, account, password, secret)


async def _post_callback(http, ref, status, **kwargs):
    body, signature = DevPublisher().callback(ref, status, **kwargs)
    return await http.post(CALLBACK, content=body, headers={"X-Signature": signature,
                                                             "Content-Type": "application/json"})


async def test_clerk_requests_edits_submits_and_the_paper_publishes(http, db):
    court = await make_court()
    dispatcher, server, _, _ = await centre_people(db, court)
    _, people, _ = await make_service(court, db, channels=["sms", "phone"])
    token = await _clerk(http, db, court)

    page = await http.get("/console/announcements/new", params={"recipient_id": people[0].id})
    assert page.status_code == 200 and people[0].name in page.text and Channel.PHONE.label in page.text
    created = await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": people[0].id,
                                                               "collect_at": "本院诉讼服务中心"})
    assert created.status_code == 303, created.text
    url = created.headers["location"].split("?")[0]
    found = await Announcement.get(id=int(url.rsplit("/", 1)[1]))
    detail = await http.get(url)
    assert detail.status_code == 200 and "本院诉讼服务中心" in detail.text

    refused = await http.post(f"{url}/text", data={"csrf_token": token, "title": found.title,
                                                  "text": found.text + "联系电话13800138000"})
    assert refused.status_code == 422 and "身份证号码或电话号码" in refused.text
    assert (await http.post(f"{url}/text", data={"csrf_token": "0" * 64, "title": "x", "text": "y"})).status_code == 403
    assert (await http.post(f"{url}/fee", data={"csrf_token": token, "payer": "nobody", "status": "paid"})
            ).status_code == 422
    unassigned = await http.post(f"{url}/submit", data={"csrf_token": token})
    assert unassigned.status_code == 409 and "尚未分派" in unassigned.text
    fee = await http.post(f"{url}/fee", data={"csrf_token": token, "payer": "party", "status": "paid", "note": "已缴"})
    assert fee.status_code == 303
    await assign_tasks(dispatcher, [found.attempt_id], server.assignee_id, now=datetime.now(timezone.utc),
                       meta=RequestMeta.none())
    submitted = await http.post(f"{url}/submit", data={"csrf_token": token})
    assert submitted.status_code == 303, submitted.text
    found = await Announcement.get(id=found.id)
    assert found.status is AnnouncementStatus.SUBMITTED

    bad = DevPublisher().callback(found.paper_ref, PaperStatus.TYPESET)[0]
    assert (await http.post(CALLBACK, content=bad, headers={"X-Signature": "00" * 32})).status_code == 403
    assert (await http.post(CALLBACK, content=b"not json")).status_code == 403
    assert (await _post_callback(http, "UNKNOWN", PaperStatus.TYPESET)).status_code == 404
    assert (await _post_callback(http, found.paper_ref, PaperStatus.TYPESET)).status_code == 200
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    published = await _post_callback(http, found.paper_ref, PaperStatus.PUBLISHED, published_on=today,
                                     edition="第7版", page="G3")
    assert published.status_code == 200, published.text
    attempt = await Attempt.get(id=found.attempt_id)
    assert attempt.outcome is Outcome.SERVED and "第95条" in attempt.effect_rule
    assert "视为送达" in (await http.get(url)).text

    public = await http.get(f"/public/courts/{court.id}/announcements")
    feed = await http.get(f"/public/courts/{court.id}/announcements/feed.atom")
    embed = await http.get(f"/public/courts/{court.id}/announcements/embed")
    assert public.status_code == feed.status_code == embed.status_code == 200
    assert found.title in public.text and found.title in embed.text and "<feed" in feed.text
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert embed.headers["x-frame-options"] != "DENY" and public.headers["x-frame-options"] == "DENY"
    for response in (public, feed, embed):
        assert people[0].name in response.text or response is embed
        assert not PERSONAL.search(response.text) and people[0].phone_masked not in response.text

    await Announcement.filter(id=found.id).update(public_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    withdrawn = await http.get(f"/public/courts/{court.id}/announcements")
    assert found.title not in withdrawn.text and "暂无公告" in withdrawn.text


async def test_refusals_are_clear_4xx(http, db):
    court = await make_court()
    _, people, _ = await make_service(court, db, channels=["sms", "phone"])
    other = await make_court("桂0102", "示范市青秀区人民法院")
    _, strangers, _ = await make_service(other, db)
    token = await _clerk(http, db, court)

    assert (await http.get("/console/announcements/new", params={"recipient_id": "abc"})).status_code == 404
    assert (await http.get("/console/announcements/new", params={"recipient_id": strangers[0].id})).status_code == 404
    assert (await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": strangers[0].id})
            ).status_code == 404
    assert (await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": "99999999999"})
            ).status_code == 404
    first = await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": people[0].id})
    assert first.status_code == 303
    second = await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": people[0].id})
    assert second.status_code == 409 and "已有进行中的公告送达" in second.text
    assert (await http.get("/public/courts/999999/announcements")).status_code == 404

    theirs = await make_staff(other, "clerk", settings=db)
    mine = await Announcement.filter(court_id=court.id).first()
    http.cookies.clear()
    await logged_in(http, *theirs)
    assert (await http.get(f"/console/announcements/{mine.id}")).status_code == 404
    assert (await http.post(f"/console/announcements/{mine.id}/fee", data={
        "csrf_token": csrf((await http.get("/console/")).text), "payer": "court", "status": "waived"})).status_code == 404
    listing = await http.get("/console/announcements")
    assert listing.status_code == 200 and f"/console/announcements/{mine.id}" not in listing.text


async def test_a_served_recipient_is_refused_with_the_attempts_shown(http, db):
    court = await make_court()
    _, people, _ = await make_service(court, db, channels=["sms", "phone"])
    await Attempt.filter(recipient_id=people[0].id, delivery_id=None).update(outcome="served")
    token = await _clerk(http, db, court)
    refused = await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": people[0].id})
    assert refused.status_code == 409 and "已送达成功" in refused.text and 'id="attempts"' in refused.text
    assert not await Announcement.filter(court_id=court.id).exists()


async def test_the_dev_publisher_can_be_driven_from_the_page(http, db):
    court = await make_court()
    dispatcher, server, _, _ = await centre_people(db, court)
    _, people, _ = await make_service(court, db, channels=["sms", "phone"])
    token = await _clerk(http, db, court)
    created = await http.post("/console/announcements", data={"csrf_token": token, "recipient_id": people[0].id})
    url = created.headers["location"].split("?")[0]
    found = await Announcement.get(id=int(url.rsplit("/", 1)[1]))
    await http.post(f"{url}/fee", data={"csrf_token": token, "payer": "court", "status": "waived"})
    await assign_tasks(dispatcher, [found.attempt_id], server.assignee_id, now=datetime.now(timezone.utc),
                       meta=RequestMeta.none())
    assert (await http.post(f"{url}/submit", data={"csrf_token": token})).status_code == 303
    assert 'id="simulate-published"' in (await http.get(url)).text
    bad = await http.post(f"{url}/simulate", data={"csrf_token": token, "status": "lost"})
    assert bad.status_code == 422 and "请选择回调类型" in bad.text
    done = await http.post(f"{url}/simulate", data={"csrf_token": token, "status": "published"})
    assert done.status_code == 303, done.text
    assert (await Attempt.get(id=found.attempt_id)).outcome is Outcome.SERVED
    assert 'id="simulate-published"' not in (await http.get(url)).text
