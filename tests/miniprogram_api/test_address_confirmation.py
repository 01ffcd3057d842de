"""送达地址确认书 through the mini-program API: every answer checked against the OpenAPI document
(the contract test's Recorder); another case is 404 with nothing written; a province that does not
exist is a 422 before any text; a double submit is one confirmation; the PDF is the user's only."""
from __future__ import annotations

import secrets

from addresses.models import Address, AddressConfirmation
from audit.choices import EventType
from audit.models import Event
from miniprogram_api.openapi import openapi_document
from tests.factories import phone as new_phone
from tests.factories import resident_id, signature_png
from tests.miniprogram_api.mp_helpers import auth, last_code, person, serve, verified_by_sms
from tests.miniprogram_api.test_contract import FIXTURES, Recorder, _record

POSTAL = "广西壮族自治区北海市海城区北部湾中路12号"


def _fields(**overrides) -> dict:
    return {"postal": POSTAL, "phone": "13800138000", "email": "", "wechat": "wang_2024", "accepted": True,
            **overrides}


async def _written() -> tuple[int, int, int]:
    return (await AddressConfirmation.all().count(), await Address.filter(source="litigant").count(),
            await Event.filter(type=EventType.ADDRESS_CONFIRMATION_SIGNED).count())


async def test_confirm_through_the_mini_program(mp_http, db, fake_wechat):
    call = Recorder(mp_http, openapi_document())
    client = Recorder(mp_http, openapi_document())  # the calls pages/confirm makes, in its order (jest replays)
    number, id_number = new_phone(), resident_id()
    service, _, _ = await serve(db, [person(number, id_number)], documents=1)
    other, _, _ = await serve(db, [person(new_phone(), resident_id())], documents=1)
    token = await verified_by_sms(mp_http, db, fake_wechat, number, id_number)
    h = auth(token)
    [entry] = (await call("GET", "/mp/api/v1/services", headers=h)).json()["services"]
    case_id = entry["case_id"]
    assert case_id == service.case_id
    url = f"/mp/api/v1/cases/{case_id}/address-confirmation"

    form = (await client("GET", url, headers=h)).json()
    assert form["case"]["case_number"] and form["on_file"] and all("****" in a["masked"] for a in form["on_file"])
    assert any("第一百三十七条" in line for line in form["notice"]) and form["confirmations"] == []

    # Another case: 404 on every call, nothing sent, nothing written.
    for method, path, kw in (("GET", "", {}), ("POST", "/code", {"json": _fields()})):
        refused = await call(method, f"/mp/api/v1/cases/{other.case_id}/address-confirmation{path}", headers=h, **kw)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "case_not_found"

    bad = await client("POST", f"{url}/code", headers=h, json=_fields(postal="火星省奥林匹斯市环形山路1号"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "confirmation_invalid"
    assert bad.json()["error"]["details"][0]["field"] == "postal" and "行政区划" in bad.json()["error"]["message"]

    sent = await client("POST", f"{url}/code", headers=h, json=_fields())
    assert sent.status_code == 200 and sent.json()["phone_masked"].endswith(number[-4:])
    key = secrets.token_urlsafe(18)
    data = {**_fields(accepted="1"), "submission_key": key}
    wrong = await call("POST", url, headers=h, data={**data, "code": "abc"},
                       files={"signature": ("s.png", signature_png(), "image/png")})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "code_malformed"
    assert await _written() == (0, 0, 0)

    data["code"] = last_code(db, number)
    done = await client("POST", url, headers=h, data=data, files={"signature": ("s.png", signature_png(), "image/png")})
    assert done.status_code == 201, done.text
    again = await call("POST", url, headers=h, data=data, files={"signature": ("s.png", signature_png(), "image/png")})
    assert again.json()["confirmation_no"] == done.json()["confirmation_no"]
    assert await _written() == (1, 3, 1)
    found = await AddressConfirmation.get()
    assert found.channel.value == "miniprogram" and found.identity_proof["via"] == "miniprogram"

    pdf = await call("GET", done.json()["url"], headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert (await call("GET", url, headers=h)).json()["confirmations"][0]["confirmation_no"] == found.confirmation_no

    # Someone else's session cannot fetch it.
    stranger_phone, stranger_id = new_phone(), resident_id()
    await serve(db, [person(stranger_phone, stranger_id, name="李四")], documents=1)
    stranger = await verified_by_sms(mp_http, db, fake_wechat, stranger_phone, stranger_id, name="李四",
                                     openid="o-stranger")
    hidden = await call("GET", done.json()["url"], headers=auth(stranger))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "confirmation_not_found"
    _record(FIXTURES / "recorded-address-confirmation.json", client, "test/confirm.test.js")
