"""Shared steps for the mini-program API tests: people on file, the fake WeChat, the login walk."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.factories import recipient_body, serve_people


def now() -> datetime:
    return datetime.now(timezone.utc)


async def serve(db, people: list[dict], *, documents: int = 2, court=None):
    """A service naming ``people`` (recipient bodies); returns (service, [Recipient], [Document])."""
    return await serve_people(db, people, documents=documents, court=court)


def person(phone: str, id_number: str, name: str = "王小明", **extra) -> dict:
    return recipient_body(phone=phone, id_number=id_number, name=name, **extra)


def last_code(db, phone: str) -> str:
    lines = (db.data_dir / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line) for line in lines]
    return [t for t in texts if t["phone"] == phone and t["template"] == "code"][-1]["params"]["code"]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def login(http, fake, openid: str = "o-litigant") -> str:
    response = await http.post("/mp/api/v1/session", json={"code": fake.login_code(openid)})
    assert response.status_code == 201, response.text
    return response.json()["token"]


async def sms_phone(http, db, token: str, phone: str) -> None:
    sent = await http.post("/mp/api/v1/phone/code", json={"phone": phone}, headers=auth(token))
    assert sent.status_code == 200, sent.text
    proved = await http.post("/mp/api/v1/phone", json={"phone": phone, "sms_code": last_code(db, phone)},
                             headers=auth(token))
    assert proved.status_code == 200, proved.text


async def verified_by_sms(http, db, fake, phone: str, id_number: str, name: str = "王小明",
                          openid: str = "o-litigant") -> str:
    token = await login(http, fake, openid)
    await sms_phone(http, db, token, phone)
    bound = await http.post("/mp/api/v1/identity", json={"name": name, "id_number": id_number}, headers=auth(token))
    assert bound.status_code == 200, bound.text
    assert bound.json()["status"]["verified"] is True
    return token
