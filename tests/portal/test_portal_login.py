"""Portal login by phone + SMS code, the user's cases, one-document and whole-case downloads."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from datetime import datetime, timezone
from urllib.parse import quote

from audit.choices import EventType
from audit.events import Actor, RequestMeta
from audit.models import Event
from identity.models import Session, SessionKind
from identity.sms.gateway import build_gateway
from jobs.consumer import run_once
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.registry import JobContext
from service.choices import Channel, DeliveryState
from service.login_codes import send_pending_login_codes
from service.models import Delivery, RecipientDocument
from service.revocation import revoke_service
from tests.factories import make_court, phone, recipient_body, serve_people


def now() -> datetime:
    return datetime.now(timezone.utc)


async def serve(db, people: list[dict], *, documents: int = 2, court=None):
    """A service with the given recipient bodies; returns (service, {ref: Recipient}, [documents])."""
    service, rows, docs = await serve_people(db, people, documents=documents, court=court)
    return service, {p["ref"]: r for p, r in zip(people, rows)}, docs


def person(ref: str, number: str, **extra) -> dict:
    return recipient_body(ref=ref, phone=number, **extra)


def lawyer(ref: str, number: str, client_ref: str) -> dict:
    return recipient_body(ref=ref, phone=number, role="agent", agent_of=client_ref, name="赵律师")


def outbox(db) -> list[dict]:
    path = db.data_dir / "dev-sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_code(db, number: str) -> str:
    return [m for m in outbox(db) if m["phone"] == number and m["template"] == "code"][-1]["params"]["code"]


def token(html: str) -> str:
    return re.search(r'name="login_token" value="([0-9a-f]+)"', html).group(1)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


async def deliver_codes(db) -> int:
    """What the consumer does after a code request: the queued login code jobs text the codes."""
    return await send_pending_login_codes(gateway=build_gateway(db), settings=db, worker_id="test", now=now())


async def ask_code(http, number: str, db=None):
    """Ask for a code; with ``db``, the queued text is sent too (the request itself texts nothing)."""
    form = await http.get("/portal/login")
    assert form.status_code == 200
    sent = await http.post("/portal/login/code", data={"login_token": token(form.text), "phone": number})
    if db is not None:
        await deliver_codes(db)
    return token(form.text), sent


async def login(http, db, number: str) -> None:
    login_token, sent = await ask_code(http, number, db)
    assert sent.status_code == 200, sent.text
    done = await http.post("/portal/login/verify",
                           data={"login_token": login_token, "phone": number, "code": last_code(db, number)})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/portal/"


async def test_login_flow_and_logout(http, db):
    number = phone()
    service, people, docs = await serve(db, [person("a", number)])
    assert (await http.get("/portal/")).headers["location"] == "/portal/login"
    login_token, sent = await ask_code(http, "+86 " + number[:3] + "-" + number[3:], db)
    assert sent.status_code == 200 and 'id="sent"' in sent.text and number[-4:] in sent.text
    assert len(outbox(db)) == 1
    before = http.cookies.get("songda_sid")
    done = await http.post("/portal/login/verify",
                           data={"login_token": login_token, "phone": number, "code": last_code(db, number)})
    assert done.status_code == 303 and done.headers["location"] == "/portal/"
    sid_after = http.cookies.get("songda_sid")
    assert sid_after and sid_after != before
    session = await Session.filter(kind=SessionKind.PORTAL).first()
    assert session.data == {"phone_index": people["a"].phone_index}
    portal = await Delivery.get(recipient=people["a"], channel=Channel.PORTAL)
    assert portal.state is DeliveryState.VERIFIED

    home = await http.get("/portal/")
    assert home.status_code == 200
    assert service.case_id and f"/portal/cases/{service.case_id}" in home.text
    assert all(f"/portal/documents/{d.id}/download" in home.text for d in docs)
    assert "已验证身份" in home.text
    assert (await http.get("/portal/login")).headers["location"] == "/portal/"

    one = await http.get(f"/portal/documents/{docs[0].id}/download")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" + quote(docs[0].title + ".pdf", safe="") in one.headers["content-disposition"]
    row = await RecipientDocument.get(recipient=people["a"], document=docs[0])
    assert row.download_count == 1
    assert await Event.filter(type=EventType.DOCUMENT_DOWNLOADED, delivery_id=portal.id).count() == 1

    no_csrf = await http.post("/portal/logout", data={})
    assert no_csrf.status_code == 403
    out = await http.post("/portal/logout", data={"csrf_token": csrf(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/portal/login"
    assert (await Session.get(id=session.id)).revoked_at is not None
    http.cookies.set("songda_sid", sid_after)  # a copied cookie is dead after logout
    assert (await http.get("/portal/")).status_code == 303


async def test_unknown_phone_gets_the_same_page_and_no_sms(http, db):
    known, unknown = phone(), phone()
    await serve(db, [person("a", known)])
    _, known_page = await ask_code(http, known, db)
    http.cookies.clear()
    _, unknown_page = await ask_code(http, unknown, db)
    assert known_page.status_code == unknown_page.status_code == 200

    def normal(page, number):
        text = re.sub(r'value="[0-9a-f]{64}"', 'value="T"', page.text)
        return text.replace(number, "N").replace(number[:3] + "****" + number[-4:], "M")

    assert normal(known_page, known) == normal(unknown_page, unknown)
    assert [m["phone"] for m in outbox(db)] == [known]
    # And guessing a code for the unknown phone fails like a wrong code for a known one.
    form = await http.get("/portal/login")
    wrong = await http.post("/portal/login/verify",
                            data={"login_token": token(form.text), "phone": unknown, "code": "000000"})
    assert wrong.status_code == 400 and 'id="error"' in wrong.text


async def test_wrong_code_and_csrf(http, db):
    number = phone()
    await serve(db, [person("a", number)])
    login_token, _ = await ask_code(http, number, db)
    code = last_code(db, number)
    wrong = "000000" if code != "000000" else "111111"
    bad = await http.post("/portal/login/verify", data={"login_token": login_token, "phone": number, "code": wrong})
    assert bad.status_code == 400
    assert 'id="error"' in bad.text and "验证码" in bad.text and 'id="code"' in bad.text
    assert not await Session.filter(kind=SessionKind.PORTAL).exists()
    forged = await http.post("/portal/login/verify", data={"login_token": "0" * 64, "phone": number, "code": code})
    assert forged.status_code == 403
    assert (await http.post("/portal/login/code", data={"phone": number})).status_code == 403
    invalid = await http.post("/portal/login/code", data={"login_token": login_token, "phone": "12345"})
    assert invalid.status_code == 422 and 'id="error"' in invalid.text
    ok = await http.post("/portal/login/verify", data={"login_token": login_token, "phone": number, "code": code})
    assert ok.status_code == 303


async def test_lawyer_sees_only_the_cases_they_were_served_in(http, db):
    party, counsel, other = phone(), phone(), phone()
    represented, _, docs = await serve(db, [person("p", party, name="王小明"), lawyer("l", counsel, "p")])
    # The same client in another case where this lawyer was not named, and a stranger's case.
    alone, _, alone_docs = await serve(db, [person("p", party, name="王小明")])
    stranger, _, stranger_docs = await serve(db, [person("x", other, name="陈某某")])
    await login(http, db, counsel)
    home = await http.get("/portal/")
    assert f"/portal/cases/{represented.case_id}" in home.text and "代理 王小明" in home.text
    for hidden in (alone, stranger):
        assert f"/portal/cases/{hidden.case_id}" not in home.text
        assert (await http.get(f"/portal/cases/{hidden.case_id}")).status_code == 404
        assert (await http.get(f"/portal/cases/{hidden.case_id}/documents.zip")).status_code == 404
    assert "陈某某" not in home.text
    for d in alone_docs + stranger_docs:
        assert (await http.get(f"/portal/documents/{d.id}/download")).status_code == 404
    case = await http.get(f"/portal/cases/{represented.case_id}")
    assert case.status_code == 200 and all(f"/portal/documents/{d.id}/download" in case.text for d in docs)


async def test_zip_holds_every_document_with_matching_hashes(http, db):
    number = phone()
    court = await make_court()
    service, people, docs = await serve(db, [person("a", number)], documents=3, court=court)
    await login(http, db, number)
    response = await http.get(f"/portal/cases/{service.case_id}/documents.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="documents.zip"; filename*=UTF-8\'\'')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    infos = archive.infolist()
    assert len(infos) == len(docs)
    for info, document in zip(infos, docs):
        assert info.flag_bits & 0x800  # UTF-8 names
        assert document.title in info.filename and info.filename.endswith(".pdf")
        assert hashlib.sha256(archive.read(info)).hexdigest() == document.sha256
    rows = await RecipientDocument.filter(recipient=people["a"]).order_by("id")
    assert [r.download_count for r in rows] == [1, 1, 1]

    await revoke_service(service.id, reason="撤回测试", actor=Actor.system(), meta=RequestMeta.none(), now=now())
    assert (await http.get(f"/portal/cases/{service.case_id}/documents.zip")).status_code == 404
    assert (await http.get(f"/portal/documents/{docs[0].id}/download")).status_code == 404
    page = await http.get(f"/portal/cases/{service.case_id}")
    assert page.status_code == 200 and "已撤回" in page.text and f"/documents/{docs[0].id}/" not in page.text


class _Statements(logging.Handler):
    """Every SQL statement tortoise sends (its client logs each one at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            self.seen.append(record.args[0])


async def test_known_and_unknown_phones_do_the_same_work_and_only_the_known_one_is_texted(app, http, db):
    # Timing must not tell whether a phone is on file: the request runs the same statements for both,
    # answers the same, and texts nobody; the consumer then texts the known phone only.
    known, unknown, warm = "13912340001", "15912340002", "18612340003"  # three number prefixes
    await serve(db, [person("a", known)])
    _, page = await ask_code(http, warm)  # the address's hourly counter exists before the two measured
    assert page.status_code == 200
    client = logging.getLogger("tortoise.db_client")
    level = client.level

    async def measured(number: str):
        http.cookies.clear()
        form = await http.get("/portal/login")
        statements = _Statements()
        client.addHandler(statements)
        client.setLevel(logging.DEBUG)
        try:
            answer = await http.post("/portal/login/code", data={"login_token": token(form.text), "phone": number})
        finally:
            client.removeHandler(statements)
            client.setLevel(level)
        text = re.sub(r'value="[0-9a-f]{64}"', 'value="T"', answer.text)
        return answer.status_code, text.replace(number, "N").replace(mask(number), "M"), statements.seen

    def mask(number: str) -> str:
        return number[:3] + "****" + number[-4:]

    known_answer, unknown_answer = await measured(known), await measured(unknown)
    assert known_answer[0] == unknown_answer[0] == 200
    assert known_answer[1] == unknown_answer[1] and 'id="sent"' in known_answer[1]
    assert known_answer[2] and len(known_answer[2]) == len(unknown_answer[2])
    assert known_answer[2] == unknown_answer[2]  # the very same statements, in the same order
    assert outbox(db) == []  # nothing texted on the request path

    # The consumer's one pass (as every web process and worker runs it) texts the known phone only.
    await run_once(app.ctx.jobs, JobContext(app.ctx, db, "test", now()), tick=1)
    assert [m["phone"] for m in outbox(db) if m["template"] == "code"] == [known]  # (beside the case's notice)
    jobs = await OutboxJob.filter(kind=JobKind.LOGIN_CODE).order_by("id")
    assert len(jobs) == 3 and all(j.done_at is not None and j.payload == {} for j in jobs)
    done = await http.post("/portal/login/verify", data={
        "login_token": token((await http.get("/portal/login")).text), "phone": known, "code": last_code(db, known)})
    assert done.status_code == 303 and done.headers["location"] == "/portal/"
