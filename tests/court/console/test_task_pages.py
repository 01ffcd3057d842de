"""The service-centre pages of the console: 送达分派, 我的待办, the task page with its forms,
evidence playback (HTTP Range), the service page's 送达任务 section and the reveals list.
Every bad input is a 4xx with a Chinese message on the page, and nothing is half-written."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from audit.models import Event
from centre.dispatch import assign_tasks
from centre.models import Contact, Evidence
from centre.scope import Scope
from service.choices import TaskStatus
from service.models import Attempt
from tests.centre.helpers import service_with_tasks
from tests.centre.media import jpeg, mp3
from tests.court.console.helpers import csrf, post_login, totp
from tests.factories import make_court, make_staff

BEIJING = timezone(timedelta(hours=8))
NOW = datetime.now(timezone.utc)


async def _login(http, db, court, role):
    account, password, secret = await make_staff(court, role, settings=db)
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303, done.text
    page = await http.get(done.headers["location"])
    assert page.status_code == 200, page.text
    return account, done.headers["location"], csrf(page.text)


async def _assigned_task(db, court, server):
    _, people, tasks = await service_with_tasks(db, court=court, channels=["sms", "phone"])
    from audit.events import RequestMeta

    dispatcher, _, _ = await make_staff(court, "dispatcher", settings=db)
    await assign_tasks(Scope(dispatcher.id, centre_id=court.centre_id), [tasks[0].id], server.id, now=NOW,
                       meta=RequestMeta.none())
    return people[0], tasks[0]


async def test_dispatcher_filters_and_batch_assigns_and_is_told_what_was_taken(http, db):
    court = await make_court()
    other_court = await make_court("桂0102", "南宁市兴宁区人民法院")
    service, people, tasks = await service_with_tasks(db, court=court, recipients=2)
    _, _, foreign = await service_with_tasks(db, court=other_court)
    server, _, _ = await make_staff(court, "process_server", settings=db)
    dispatcher, home, token = await _login(http, db, court, "dispatcher")
    assert home == "/console/dispatch"
    listing = (await http.get("/console/dispatch")).text
    assert all(f'value="{t.id}"' in listing for t in tasks) and f'value="{foreign[0].id}"' not in listing
    assert people[0].name in listing and "送达分派" in listing and f'<option value="{server.id}">' in listing
    mail = (await http.get("/console/dispatch?channel=mail")).text
    assert sum(f'value="{t.id}"' in mail for t in tasks) == 2
    for bad in ("channel=sms", "channel=pigeon", "area=" + "区" * 65, "after=garbage", "court=x"):
        refused = await http.get(f"/console/dispatch?{bad}")
        assert refused.status_code == 422 and 'id="error"' in refused.text, bad
    # No CSRF token: refused before anything is read.
    assert (await http.post("/console/dispatch/assign", data={"task": [str(tasks[0].id)],
                                                              "assignee": str(server.id)})).status_code == 403
    ids = [str(t.id) for t in tasks[:2]]
    done = await http.post("/console/dispatch/assign", data={"csrf_token": token, "task": ids,
                                                             "assignee": str(server.id)})
    assert done.status_code == 303 and done.headers["location"] == "/console/dispatch?done=assigned&n=2"
    assert "已分派 2 件任务" in (await http.get(done.headers["location"])).text
    # A second dispatcher's stale page: both tasks taken, a free one not assigned either.
    again = await http.post("/console/dispatch/assign", data={
        "csrf_token": token, "task": [str(tasks[0].id), str(tasks[2].id)], "assignee": str(server.id)})
    assert again.status_code == 409 and "已被分派" in again.text and f"#{tasks[0].id}" in again.text
    assert (await Attempt.get(id=tasks[2].id)).status is TaskStatus.UNASSIGNED
    alien = await http.post("/console/dispatch/assign", data={
        "csrf_token": token, "task": [str(foreign[0].id)], "assignee": str(server.id)})
    assert alien.status_code == 409 and "不属于本中心" in alien.text
    for form in ({"task": [str(tasks[2].id)]}, {"assignee": str(server.id)},
                 {"task": ["abc"], "assignee": str(server.id)}, {"task": [str(tasks[2].id)], "assignee": "99999"}):
        refused = await http.post("/console/dispatch/assign", data={"csrf_token": token, **form})
        assert refused.status_code == 422 and 'id="error"' in refused.text, form
    assert (await Attempt.get(id=tasks[2].id)).status is TaskStatus.UNASSIGNED
    # Reassign from the task page.
    other, _, _ = await make_staff(court, "process_server", settings=db)
    moved = await http.post(f"/console/tasks/{tasks[0].id}/reassign", data={"csrf_token": token,
                                                                             "assignee": str(other.id)})
    assert moved.status_code == 303 and (await Attempt.get(id=tasks[0].id)).assignee_id == other.id
    assert (await http.get(f"/console/tasks/{foreign[0].id}")).status_code == 404


async def test_process_server_records_uploads_closes_and_every_bad_input_is_a_4xx(http, db):
    court = await make_court()
    server, home, token = await _login(http, db, court, "process_server")
    assert home == "/console/tasks"
    person, task = await _assigned_task(db, court, server)
    todo = (await http.get("/console/tasks")).text
    assert f"/console/tasks/{task.id}" in todo and person.name in todo
    assert (await http.get("/console/tasks?status=bogus")).status_code == 422
    assert (await http.get("/console/dispatch")).status_code == 403
    page = await http.get(f"/console/tasks/{task.id}")
    assert page.status_code == 200 and person.phone_masked in page.text and "查看" in page.text
    url = f"/console/tasks/{task.id}"
    local = NOW.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")

    async def post(path, expect, **data):
        response = await http.post(url + path, data={"csrf_token": token, **data})
        assert response.status_code == expect, (path, data, response.status_code, response.text[-800:])
        return response

    await post("/contact", 422, kind="call", contacted_at="yesterday", result="无人接听")
    await post("/contact", 422, kind="pigeon", contacted_at=local, result="无人接听")
    await post("/contact", 422, kind="call", contacted_at=local, result="")
    assert await Contact.filter(attempt_id=task.id).count() == 0
    await post("/contact", 303, kind="call", contacted_at=local, result="已接通，当事人确认收悉")
    await post("/notes", 303, notes="当事人白天上班，晚上联系")
    refused = await post("/reveal", 422, field="phone", reason="")
    assert "查看原因" in refused.text and await Event.filter(type="pii.revealed").count() == 0
    await post("/reveal", 422, field="password", reason="核对号码")
    shown = await post("/reveal", 200, field="phone", reason="核对号码")
    assert 'id="revealed-value">1' in shown.text and shown.headers["cache-control"] == "no-store"
    assert await Event.filter(type="pii.revealed").count() == 1
    wrong = await http.post(url + "/evidence", data={"csrf_token": token},
                            files={"file": ("call.mp3", bytes(jpeg()), "audio/mpeg")})
    assert wrong.status_code == 422 and "内容与类型不符" in wrong.text
    assert await Evidence.filter(attempt_id=task.id).count() == 0
    empty = await http.post(url + "/evidence", data={"csrf_token": token})
    assert empty.status_code == 422 and "请选择要上传的文件" in empty.text
    audio = bytes(mp3(2.0))
    uploaded = await http.post(url + "/evidence", data={"csrf_token": token, "description": "通话录音"},
                               files={"file": ("通话录音.mp3", audio, "audio/mpeg")})
    assert uploaded.status_code == 303, uploaded.text
    evidence = await Evidence.get(attempt_id=task.id)
    assert f'<audio controls preload="metadata" src="/console/evidence/{evidence.id}"' in (await http.get(url)).text
    whole = await http.get(f"/console/evidence/{evidence.id}")
    assert whole.status_code == 200 and whole.content == audio and whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-disposition"].startswith("inline")
    part = await http.get(f"/console/evidence/{evidence.id}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == audio[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    tail = await http.get(f"/console/evidence/{evidence.id}", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == audio[-50:]
    beyond = await http.get(f"/console/evidence/{evidence.id}", headers={"Range": f"bytes={len(audio)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(audio)}"
    await post("/close", 422, outcome="")
    no_reason = await post("/close", 422, outcome="failed", failure_reason="")
    assert "请选择失败原因" in no_reason.text
    other = await post("/close", 422, outcome="failed", failure_reason="other", failure_text="")
    assert "须说明原因" in other.text
    await post("/close", 422, outcome="served", method="mail", served_at=local)
    assert (await Attempt.get(id=task.id)).status is TaskStatus.IN_PROGRESS
    await post("/close", 303, outcome="served", method="phone", served_at=local)
    closed = await Attempt.get(id=task.id)
    assert closed.status is TaskStatus.CLOSED and closed.effective_at is not None
    twice = await post("/close", 409, outcome="failed", failure_reason="moved")
    assert "已办结" in twice.text
    assert "送达成功" in (await http.get("/console/tasks?status=closed")).text
    # Another process server: the task and its evidence do not exist for them.
    await _login(http, db, court, "process_server")
    assert (await http.get(url)).status_code == 404
    assert (await http.get(f"/console/evidence/{evidence.id}")).status_code == 404
    token = csrf((await http.get("/console/tasks")).text)
    assert (await http.post(url + "/hand-back", data={"csrf_token": token, "reason": "不是我的"})).status_code == 404
    for path in ("/contact", "/notes", "/hand-back", "/close", "/evidence", "/reveal"):   # beyond int4: 404
        beyond = await http.post(f"/console/tasks/99999999999{path}", data={"csrf_token": token, "reason": "x"})
        assert beyond.status_code == 404, (path, beyond.status_code)
    assert (await http.get("/console/tasks/99999999999")).status_code == 404
    assert (await http.get("/console/evidence/99999999999")).status_code == 404


async def test_hand_back_returns_to_dispatch_with_its_reason(http, db):
    court = await make_court()
    server, _, token = await _login(http, db, court, "process_server")
    _, task = await _assigned_task(db, court, server)
    refused = await http.post(f"/console/tasks/{task.id}/hand-back", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 422 and "退回原因" in refused.text
    done = await http.post(f"/console/tasks/{task.id}/hand-back", data={"csrf_token": token, "reason": "地址在外省"})
    assert done.status_code == 303 and done.headers["location"].startswith("/console/tasks")
    await _login(http, db, court, "dispatcher")
    listing = (await http.get("/console/dispatch")).text
    assert f'value="{task.id}"' in listing and "地址在外省" in listing and "已退回" in listing


async def test_court_staff_see_tasks_read_only_and_play_evidence_and_admin_lists_reveals(http, db):
    court = await make_court()
    server, _, token = await _login(http, db, court, "process_server")
    _, task = await _assigned_task(db, court, server)
    await http.post(f"/console/tasks/{task.id}/evidence", data={"csrf_token": token},
                    files={"file": ("面单.jpg", bytes(jpeg()), "image/jpeg")})
    await http.post(f"/console/tasks/{task.id}/reveal", data={"csrf_token": token, "field": "phone",
                                                                "reason": "号码无法拨通"})
    evidence = await Evidence.get(attempt_id=task.id)
    for role in ("judge", "clerk"):
        _, home, token = await _login(http, db, court, role)
        assert home == "/console/"
        service_page = (await http.get(f"/console/services/{task.service_id}")).text
        assert 'id="service-tasks"' in service_page and f'<img src="/console/evidence/{evidence.id}"' in service_page
        image = await http.get(f"/console/evidence/{evidence.id}")
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        page = (await http.get(f"/console/tasks/{task.id}")).text
        assert "办结" not in page.split("任务时间线")[0].split("送达证据")[1]   # no forms for the court
        assert (await http.get("/console/dispatch")).status_code == 403
        assert (await http.post(f"/console/tasks/{task.id}/close", data={
            "csrf_token": token, "outcome": "failed", "failure_reason": "moved"})).status_code == 403
        assert (await http.get("/console/reveals")).status_code == 403
    await _login(http, db, court, "admin")
    reveals = await http.get("/console/reveals")
    assert reveals.status_code == 200 and "号码无法拨通" in reveals.text and "手机号码" in reveals.text
    other_court = await make_court("桂0102", "南宁市兴宁区人民法院")
    await _login(http, db, other_court, "admin")
    assert "号码无法拨通" not in (await http.get("/console/reveals")).text
    assert (await http.get(f"/console/evidence/{evidence.id}")).status_code == 404
    assert (await http.get(f"/console/tasks/{task.id}")).status_code == 404


async def test_evidence_over_the_configured_size_is_a_413_and_nothing_is_stored(db):
    import httpx
    from sanic import Sanic

    from app.factory import create_app

    settings = db.model_copy(update={"max_evidence_bytes": 4096})
    Sanic.test_mode = True
    app = create_app(settings, manage_database=False)
    app.asgi = True
    await app._startup()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                                 base_url="http://testserver") as http:
        court = await make_court()
        server, _, token = await _login(http, settings, court, "process_server")
        _, task = await _assigned_task(settings, court, server)
        big = await http.post(f"/console/tasks/{task.id}/evidence", data={"csrf_token": token},
                              files={"file": ("call.mp3", bytes(mp3(5.0)), "audio/mpeg")})
        assert big.status_code == 413 and "文件不能超过" in big.text
        assert await Evidence.filter(attempt_id=task.id).count() == 0
        assert await Event.filter(type="task.evidence_added").count() == 0


async def test_two_dispatchers_assigning_at_once_one_wins_the_other_is_told(app, http, db):
    import asyncio

    import httpx

    court = await make_court()
    _, _, tasks = await service_with_tasks(db, court=court)
    server, _, _ = await make_staff(court, "process_server", settings=db)
    other, _, _ = await make_staff(court, "process_server", settings=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.8", 1234)),
                                 base_url="http://testserver") as second:
        _, _, first_token = await _login(http, db, court, "dispatcher")
        _, _, second_token = await _login(second, db, court, "dispatcher")
        ids = [str(t.id) for t in tasks]
        answers = await asyncio.gather(
            http.post("/console/dispatch/assign", data={"csrf_token": first_token, "task": ids,
                                                        "assignee": str(server.id)}),
            second.post("/console/dispatch/assign", data={"csrf_token": second_token, "task": ids,
                                                          "assignee": str(other.id)}))
    assert sorted(a.status_code for a in answers) == [303, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "已被分派" in refused.text and 'id="taken"' in refused.text
    assert len({a.assignee_id for a in await Attempt.filter(id__in=[t.id for t in tasks])}) == 1
    assert await Event.filter(type="task.assigned").count() == len(tasks)
