"""委托送达 over HTTP: the entrusting clerk's form (a court that does not exist is a 422 naming the
mistake), the sealed letter, the receiving court's process server on its own task page and 404
on everything else of the entrusting court, and the package and result by hand off the platform."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from centre.scope import Scope
from entrusted.models import Entrustment
from service.choices import Outcome
from service.models import Attempt, Recipient
from tests.court.console.helpers import csrf, logged_in, post_login, totp
from tests.factories import make_court, make_service, make_staff
from tests.fakes.pdf import one_page_pdf

ADDRESS = "示范市城中区人民法院立案庭"


async def _setup(http, db):
    a = await make_court()
    b = await make_court("桂0102", "示范市青秀区人民法院")
    service, people, _ = await make_service(a, db, recipients=2, channels=["sms", "phone"])
    await Recipient.filter(id=people[1].id).update(name="赵另一人")
    people[1].name = "赵另一人"
    clerk, password, secret = await make_staff(a, "clerk", settings=db)
    token = await logged_in(http, clerk, password, secret)
    return a, b, service, people, token


async def test_entrusting_to_a_court_on_the_platform(http, db):
    a, b, service, people, token = await _setup(http, db)
    form = {"csrf_token": token, "recipient_id": people[0].id, "return_address": ADDRESS}
    page = await http.get("/console/entrusted/new", params={"recipient_id": people[0].id})
    assert page.status_code == 200 and b.name in page.text
    for bad in ("999999", "abc"):
        refused = await http.post("/console/entrusted", data=form | {"to_court_id": bad})
        assert refused.status_code == 422 and "受托法院不存在" in refused.text
    assert not await Entrustment.exists()
    created = await http.post("/console/entrusted", data=form | {"to_court_id": str(b.id)})
    assert created.status_code == 303, created.text
    url = created.headers["location"].split("?")[0]
    letter = await http.get(f"{url}/letter.pdf")
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF") and b"/ByteRange" in letter.content
    found = await Entrustment.get(id=int(url.rsplit("/", 1)[1]))

    dispatcher, _, _ = await make_staff(b, "dispatcher", settings=db)
    server, password, secret = await make_staff(b, "process_server", settings=db)
    await assign_tasks(Scope(dispatcher.id, centre_id=b.centre_id), [found.attempt_id], server.id,
                       now=datetime.now(timezone.utc), meta=RequestMeta.none())
    http.cookies.clear()
    assert (await post_login(http, server.login, password, totp(secret))).status_code == 303
    task = await http.get(f"/console/tasks/{found.attempt_id}")
    assert task.status_code == 200 and people[0].name in task.text and people[1].name not in task.text
    others = await Attempt.filter(service_id=service.id).exclude(id=found.attempt_id)
    for other in others:
        assert (await http.get(f"/console/tasks/{other.id}")).status_code == 404
    assert (await http.get(f"/console/entrusted/{found.id}")).status_code in (403, 404)
    token_b = csrf(task.text)
    closed = await http.post(f"/console/tasks/{found.attempt_id}/close", data={
        "csrf_token": token_b, "outcome": "served", "method": "entrusted",
        "served_at": datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%dT%H:%M")})
    assert closed.status_code in (200, 303), closed.text
    attempt = await Attempt.get(id=found.attempt_id)
    assert attempt.outcome is Outcome.SERVED and "第134条" in attempt.effect_rule

    b_clerk, password, secret = await make_staff(b, "clerk", settings=db)
    http.cookies.clear()
    await logged_in(http, b_clerk, password, secret)
    assert (await http.get(f"/console/entrusted/{found.id}")).status_code == 404
    assert (await http.get(f"/console/services/{service.id}")).status_code == 404
    assert (await http.get(f"/console/tasks/{found.attempt_id}")).status_code == 404


async def test_off_the_platform_package_and_result_by_hand(http, db):
    a, _, _, people, token = await _setup(http, db)
    created = await http.post("/console/entrusted", data={"csrf_token": token, "recipient_id": people[0].id,
                                                           "to_court_name": "远方市人民法院", "return_address": ADDRESS})
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    package = await http.get(f"{url}/package.zip")
    assert package.status_code == 200 and zipfile.ZipFile(io.BytesIO(package.content)).namelist()[0].endswith(".pdf")
    no_receipt = await http.post(f"{url}/result", data={"csrf_token": token, "outcome": "served",
                                                         "served_at": "2026-01-01 10:00"})
    assert no_receipt.status_code == 422
    bad_time = await http.post(f"{url}/result", data={"csrf_token": token, "outcome": "served", "served_at": "昨天"})
    assert bad_time.status_code == 422 and "送达时间" in bad_time.text
    now_local = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%dT%H:%M")
    done = await http.post(f"{url}/result", data={"csrf_token": token, "outcome": "served", "served_at": now_local},
                           files={"receipt": ("回证.pdf", one_page_pdf("r"), "application/pdf")})
    assert done.status_code == 303, done.text
    found = await Entrustment.get(id=int(url.rsplit("/", 1)[1]))
    assert (await Attempt.get(id=found.attempt_id)).outcome is Outcome.SERVED
    assert (await http.get("/console/entrusted/new", params={"recipient_id": "x"})).status_code == 404
