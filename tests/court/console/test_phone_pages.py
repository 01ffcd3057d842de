"""The call panel over HTTP: place a dev call, see its outcome, play and seek its recording
(audited), send a template text, record a confirmed address; clear refusals; and the litigant's
full number in no staff response at all."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from audit.choices import EventType
from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks
from centre.scope import Scope
from identity.phones import mask_phone
from identity.pii_keys import pii_cipher
from phone.dev import dev_recording
from phone.models import Call
from service.choices import Channel
from service.models import Recipient
from tests.centre.helpers import service_with_tasks
from tests.court.console.helpers import csrf, post_login, totp
from tests.factories import make_court, make_staff

NUMBER = "13877776660"   # ends in 0: the dev provider answers
META = RequestMeta.none()


async def _login(http, account, password, secret) -> None:
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303, done.text


async def _setup(db, http, *, number: str = NUMBER, role: str = "process_server"):
    court = await make_court()
    server, password, secret = await make_staff(court, "process_server", settings=db)
    dispatcher, _, _ = await make_staff(court, "dispatcher", settings=db)
    _, _, tasks = await service_with_tasks(db, channels=["sms", "phone"], court=court)
    task = next(t for t in tasks if t.channel is Channel.PHONE)
    await assign_tasks(Scope(dispatcher.id, centre_id=court.centre_id), [task.id], server.id,
                       now=datetime.now(timezone.utc), meta=META)
    cipher = pii_cipher(db)
    await Recipient.filter(id=task.recipient_id).update(
        phone_cipher=cipher.encrypt(number, context="phone"), phone_index=cipher.blind_index(number, context="phone"),
        phone_masked=mask_phone(number))
    await _login(http, server, password, secret)
    page = await http.get(f"/console/tasks/{task.id}/phone")
    assert page.status_code == 200, page.text
    return court, task, csrf(page.text)


async def test_call_panel_places_a_call_plays_and_seeks_the_recording(http, db):
    _, task, token = await _setup(db, http)
    page = await http.get(f"/console/tasks/{task.id}/phone")
    assert "未登记" in page.text and "138****6660" in page.text
    refused = await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token})
    assert refused.status_code == 422 and "尚未登记本人电话" in refused.text
    bad = await http.post(f"/console/tasks/{task.id}/phone/own-phone", data={"csrf_token": token, "phone": "123"})
    assert bad.status_code == 422 and "有效的手机或固定电话号码" in bad.text
    saved = await http.post(f"/console/tasks/{task.id}/phone/own-phone",
                            data={"csrf_token": token, "phone": "139 0000 0001"})
    assert saved.status_code == 303

    placed = await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token})
    assert placed.status_code == 303 and placed.headers["location"].endswith("?done=call")
    call = await Call.get(attempt_id=task.id)
    page = (await http.get(placed.headers["location"])).text
    assert "已发起呼叫" in page and "接通" in page and "3秒" in page
    assert f'/console/phone/calls/{call.id}/recording.mp3' in page

    whole = await http.get(f"/console/phone/calls/{call.id}/recording.mp3")
    assert whole.status_code == 200 and whole.content == dev_recording()
    assert whole.headers["content-type"] == "audio/mpeg" and whole.headers["accept-ranges"] == "bytes"
    part = await http.get(f"/console/phone/calls/{call.id}/recording.mp3", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == dev_recording()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(dev_recording())}"
    past = await http.get(f"/console/phone/calls/{call.id}/recording.mp3", headers={"Range": "bytes=999999-"})
    assert past.status_code == 416
    assert await Event.filter(type=EventType.RECORDING_PLAYED).count() == 1   # the seek is not a new playback

    sent = await http.post(f"/console/tasks/{task.id}/phone/sms", data={"csrf_token": token, "template": "task_reminder"})
    assert sent.status_code == 303
    hearing = await http.post(f"/console/tasks/{task.id}/phone/sms",
                              data={"csrf_token": token, "template": "hearing_reminder", "hearing": ""})
    assert hearing.status_code == 422 and "开庭时间" in hearing.text
    unknown = await http.post(f"/console/tasks/{task.id}/phone/sms", data={"csrf_token": token, "template": "x"})
    assert unknown.status_code == 422 and "请选择短信模板" in unknown.text
    confirmed = await http.post(f"/console/phone/calls/{call.id}/address",
                                data={"csrf_token": token, "address": "广西柳州市城中区示范路8号"})
    assert confirmed.status_code == 303
    page = (await http.get(f"/console/tasks/{task.id}/phone")).text
    assert "当事人确认地址：广西壮族自治区柳州市城中区****" in page and "送达提醒" in page
    assert "示范路8号" not in page   # masked: the street is revealed on the task page with a reason


async def test_provider_and_number_refusals_are_pages_not_500s(http, db):
    _, task, token = await _setup(db, http, number="4008123456")
    await http.post(f"/console/tasks/{task.id}/phone/own-phone", data={"csrf_token": token, "phone": "13900000001"})
    refused = await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token})
    assert refused.status_code == 422 and "无法拨打" in refused.text
    assert not await Call.filter(attempt_id=task.id).exists()
    missing = await http.get("/console/phone/calls/999999/recording.mp3")
    assert missing.status_code == 404


def _fill(path: str, values: dict[str, int]) -> str:
    return re.sub(r"<(\w+)(?::[^>]*)?>", lambda m: str(values.get(m[1], 1)), path)


async def test_no_staff_response_holds_the_full_number(http, app, db):
    """Every console GET route a process server can reach, after a call, a text and an address,
    plus every action's response: the recipient's number appears masked only."""
    _, task, token = await _setup(db, http)
    seen: list[str] = []

    async def keep(response):
        seen.append(f"{response.status_code} {dict(response.headers)} {response.text if 'audio' not in response.headers.get('content-type', '') else ''}")
        return response

    await keep(await http.post(f"/console/tasks/{task.id}/phone/own-phone",
                               data={"csrf_token": token, "phone": "13900000001"}))
    await keep(await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token}))
    call = await Call.get(attempt_id=task.id)
    await keep(await http.post(f"/console/phone/calls/{call.id}/refresh", data={"csrf_token": token}))
    await keep(await http.post(f"/console/tasks/{task.id}/phone/sms", data={"csrf_token": token, "template": "pickup_notice"}))
    await keep(await http.post(f"/console/phone/calls/{call.id}/note", data={"csrf_token": token, "note": "当事人称本周可领取"}))
    await keep(await http.post(f"/console/phone/calls/{call.id}/address", data={"csrf_token": token, "address": "广西柳州市城中区示范路8号"}))
    values = {"attempt_id": task.id, "task_id": task.id, "call_id": call.id, "recipient_id": task.recipient_id,
              "service_id": task.service_id}
    paths = sorted({"/" + route.path.lstrip("/") for route in app.router.routes
                    if "GET" in route.methods and route.path.lstrip("/").startswith("console")})
    assert any("phone" in p for p in paths)
    for path in paths:
        await keep(await http.get(_fill(path, values)))
    body = "\n".join(seen)
    assert "138****6660" in body
    for form in (NUMBER, "138 7777 6660", "138-7777-6660", "+8613877776660"):
        assert form not in body


async def test_a_short_note_and_an_outcome_close_the_task_from_the_panel(http, db):
    from service.choices import FailureReason, Outcome, TaskStatus
    from service.models import Attempt

    _, task, token = await _setup(db, http, number="13877776664")   # dev: 无人接听
    await http.post(f"/console/tasks/{task.id}/phone/own-phone", data={"csrf_token": token, "phone": "13900000001"})
    await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token})
    assert (await Call.get(attempt_id=task.id)).outcome.value == "no_answer"
    other = await http.post(f"/console/tasks/{task.id}/phone/close",
                            data={"csrf_token": token, "outcome": "failed", "failure_reason": "other", "note": ""})
    assert other.status_code == 422 and "办结信息有误" in other.text
    closed = await http.post(f"/console/tasks/{task.id}/phone/close", data={
        "csrf_token": token, "outcome": "failed", "failure_reason": "no_answer", "note": "三次拨打均无人接听"})
    assert closed.status_code == 303
    attempt = await Attempt.get(id=task.id)
    assert (attempt.status, attempt.outcome, attempt.failure_reason) == (
        TaskStatus.CLOSED, Outcome.FAILED, FailureReason.NO_ANSWER)
    page = (await http.get(closed.headers["location"])).text
    assert "任务已办结" in page and 'id="place-call"' not in page
    again = await http.post(f"/console/tasks/{task.id}/phone/call", data={"csrf_token": token})
    assert again.status_code == 409
