"""The Settings given to create_app are the ones that encrypt PII and HMAC codes: nothing below app/
reads a global. An app built with its own secret key and PII keys writes rows the default dev keys
cannot read, and its codes are HMACed with its own secret key."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone

import httpx
import pytest
from sanic import Sanic

from app.factory import create_app
from core.settings import DEV_SECRET_KEY
from identity.codes import CodeWrong, _code_hmac, verify_code
from identity.models import CodePurpose, OneTimeCode
from identity.pii import PiiCipher
from identity.pii_keys import pii_cipher
from identity.sms.gateway import build_gateway
from service.login_codes import send_pending_login_codes
from service.models import Recipient
from tests.conftest import make_settings
from tests.factories import make_client, make_document, phone, recipient_body, resident_id, service_body

OWN_SECRET = "a-secret-key-that-only-this-app-has-0123456789abcdef"
OWN_KEYS = {"k7": base64.b64encode(bytes(range(32))).decode(), "k6": base64.b64encode(bytes(32)).decode()}
OWN_INDEX_KEY = base64.b64encode(bytes(range(100, 132))).decode()


@pytest.fixture
def own_settings(db):
    """The test database and data dir, with a secret key and PII keys of their own."""
    return make_settings(db.data_dir, database_url=db.database_url, secret_key=OWN_SECRET,
                         pii_keys=OWN_KEYS, pii_active_key_id="k7", pii_index_key=OWN_INDEX_KEY)


@pytest.fixture
async def own_http(own_settings):
    Sanic.test_mode = True
    app = create_app(own_settings, manage_database=False)
    app.asgi = True
    await app._startup()
    assert app.ctx.settings is own_settings
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 1234)),
                                 base_url="http://testserver") as client:
        yield client


def own_cipher() -> PiiCipher:
    """Built from the key material itself, not through pii_cipher: what an operator holding the keys has."""
    return PiiCipher.from_config(OWN_KEYS, "k7", OWN_INDEX_KEY)


def dev_cipher() -> PiiCipher:
    return PiiCipher.from_secret(DEV_SECRET_KEY)


async def serve_through_the_api(http: httpx.AsyncClient, settings, number: str, id_number: str) -> Recipient:
    client, _, auth = await make_client()
    document = await make_document(client.court, settings.data_dir)
    litigant = recipient_body(phone=number, id_number=id_number, channels=["sms", "portal"])
    response = await http.post("/court/api/v1/services", headers=auth,
                               json=service_body([document.id], [litigant]))
    assert response.status_code == 201, response.text
    return await Recipient.get(service_id=response.json()["id"])


async def test_a_recipient_created_through_the_app_is_encrypted_with_the_apps_own_keys(
        own_http, own_settings, db):
    number, id_number = phone(), resident_id()
    recipient = await serve_through_the_api(own_http, own_settings, number, id_number)

    mine = own_cipher()
    assert mine.decrypt(recipient.phone_cipher, context="phone") == number
    assert mine.decrypt(recipient.id_number_cipher, context="id_number") == id_number
    assert recipient.phone_index == mine.blind_index(number, context="phone")
    assert pii_cipher(own_settings).decrypt(recipient.phone_cipher, context="phone") == number

    # The default dev keys (those a global get_settings() would give, and the db fixture has) read nothing.
    for default in (dev_cipher(), pii_cipher(db)):
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do; decrypting would be the bug
            default.decrypt(recipient.phone_cipher, context="phone")
        with pytest.raises(Exception):  # noqa: B017
            default.decrypt(recipient.id_number_cipher, context="id_number")
        assert recipient.phone_index != default.blind_index(number, context="phone")


def texted_code(settings, number: str) -> str:
    lines = (settings.data_dir / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()
    return [m for m in map(json.loads, lines) if m["phone"] == number and m["template"] == "code"][-1]["params"]["code"]


async def test_the_apps_own_secret_key_hmacs_its_codes(own_http, own_settings, db):
    number = phone()
    await serve_through_the_api(own_http, own_settings, number, resident_id())
    form = await own_http.get("/portal/login")
    login_token = re.search(r'name="login_token" value="([0-9a-f]+)"', form.text).group(1)
    sent = await own_http.post("/portal/login/code", data={"login_token": login_token, "phone": number})
    assert sent.status_code == 200, sent.text
    assert await send_pending_login_codes(gateway=build_gateway(own_settings), settings=own_settings,
                                          worker_id="test", now=datetime.now(timezone.utc)) == 1
    code = texted_code(own_settings, number)

    subject = own_cipher().blind_index(number, context="phone")
    row = await OneTimeCode.get(purpose=CodePurpose.LOGIN, subject=subject)
    assert row.code_hmac == _code_hmac(own_settings, CodePurpose.LOGIN, subject, code)
    assert row.code_hmac != _code_hmac(db, CodePurpose.LOGIN, subject, code)  # the dev secret key

    with pytest.raises(CodeWrong):  # the right code, checked with the default secret key
        await verify_code(CodePurpose.LOGIN, subject, code, settings=db, now=row.created_at)
    done = await own_http.post("/portal/login/verify",
                               data={"login_token": login_token, "phone": number, "code": code})
    assert done.status_code == 303 and done.headers["location"] == "/portal/", done.text
