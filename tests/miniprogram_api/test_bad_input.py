"""The issue's "Bad input" list through the API: each a clear JSON error, logged, never a 500."""
from __future__ import annotations

import logging

import pytest

from receipts.worker import seal_pending_receipts
from service.choices import Channel
from service.models import Delivery
from tests.factories import inkless_signature_pngs, resident_id, signature_png
from tests.factories import phone as new_phone
from tests.miniprogram_api.mp_helpers import auth, login, now, person, serve, sms_phone, verified_by_sms


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"] == code and body["message"]
    if status == 429:  # every 429 says when to come back, in the header and the details
        assert int(response.headers["Retry-After"]) == body["details"]["retry_after"] >= 1
    return body


@pytest.fixture
def security(caplog):
    caplog.set_level(logging.INFO, logger="songda.security")
    return caplog


async def test_reused_and_forged_wx_codes(mp_http, fake_wechat, security):
    code = fake_wechat.login_code("o-1")
    assert (await mp_http.post("/mp/api/v1/session", json={"code": code})).status_code == 201
    error(await mp_http.post("/mp/api/v1/session", json={"code": code}), 400, "wx_code_used")
    error(await mp_http.post("/mp/api/v1/session", json={"code": "forged"}), 400, "wx_code_invalid")
    error(await mp_http.post("/mp/api/v1/session", json={}), 422, "validation_failed")
    error(await mp_http.post("/mp/api/v1/session", content=b"{not json", headers={"content-type": "application/json"}),
          422, "bad_json")
    assert "outcome=wx_code_used" in security.text and "outcome=wx_code_invalid" in security.text


async def test_wechat_outage_is_503_json(mp_http, fake_wechat):
    fake_wechat.down = True
    error(await mp_http.post("/mp/api/v1/session", json={"code": "x"}), 503, "wechat_unavailable")


async def test_phone_matching_no_recipient(mp_http, db, fake_wechat, security):
    await serve(db, [person(new_phone(), resident_id())])
    token = await login(mp_http, fake_wechat)
    stranger = new_phone()
    error(await mp_http.post("/mp/api/v1/phone", json={"code": fake_wechat.phone_code(stranger)}, headers=auth(token)),
          403, "phone_not_on_file")
    error(await mp_http.post("/mp/api/v1/phone/code", json={"phone": stranger}, headers=auth(token)),
          403, "phone_not_on_file")
    error(await mp_http.post("/mp/api/v1/phone/code", json={"phone": "12345"}, headers=auth(token)),
          422, "validation_failed")
    assert security.text.count("outcome=phone_not_on_file") == 2
    assert stranger not in security.text


async def test_reused_phone_code_and_wrong_sms_code(mp_http, db, fake_wechat):
    number = new_phone()
    await serve(db, [person(number, resident_id())])
    token = await login(mp_http, fake_wechat)
    code = fake_wechat.phone_code(number)
    assert (await mp_http.post("/mp/api/v1/phone", json={"code": code}, headers=auth(token))).status_code == 200
    error(await mp_http.post("/mp/api/v1/phone", json={"code": code}, headers=auth(token)), 400, "wx_code_used")
    await mp_http.post("/mp/api/v1/phone/code", json={"phone": number}, headers=auth(token))
    error(await mp_http.post("/mp/api/v1/phone", json={"phone": number, "sms_code": "000000"}, headers=auth(token)),
          400, "code_wrong")


async def test_name_and_id_of_someone_elses_record(mp_http, db, fake_wechat, security):
    mine, theirs = (new_phone(), resident_id()), (new_phone(), resident_id())
    await serve(db, [person(*mine), person(*theirs, name="李四")])
    token = await login(mp_http, fake_wechat)
    await sms_phone(mp_http, db, token, mine[0])
    # Their real name and ID, with my phone: nobody.
    body = error(await mp_http.post("/mp/api/v1/identity", json={"name": "李四", "id_number": theirs[1]},
                                    headers=auth(token)), 403, "identity_mismatch")
    assert body["details"]["remaining_tries"] == 4
    # My ID with the wrong name, and a malformed ID.
    error(await mp_http.post("/mp/api/v1/identity", json={"name": "李四", "id_number": mine[1]}, headers=auth(token)),
          403, "identity_mismatch")
    error(await mp_http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": "123"}, headers=auth(token)),
          422, "validation_failed")
    assert (await mp_http.get("/mp/api/v1/services", headers=auth(token))).status_code == 403
    assert security.text.count("outcome=identity_mismatch") == 2
    assert theirs[1] not in security.text and mine[1] not in security.text
    for _ in range(3):
        await mp_http.post("/mp/api/v1/identity", json={"name": "李四", "id_number": mine[1]}, headers=auth(token))
    error(await mp_http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": mine[1]}, headers=auth(token)),
          429, "identity_rate_limited")


async def test_identity_before_phone_is_refused(mp_http, fake_wechat):
    token = await login(mp_http, fake_wechat)
    error(await mp_http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": resident_id()},
                             headers=auth(token)), 403, "phone_required")


async def test_missing_forged_and_revoked_tokens(mp_http, fake_wechat):
    error(await mp_http.get("/mp/api/v1/services"), 401, "token_invalid")
    error(await mp_http.get("/mp/api/v1/services", headers=auth("x" * 43)), 401, "token_invalid")
    token = await login(mp_http, fake_wechat)
    assert (await mp_http.delete("/mp/api/v1/session", headers=auth(token))).status_code == 200
    error(await mp_http.get("/mp/api/v1/session", headers=auth(token)), 401, "token_invalid")


async def test_token_of_another_user_reaches_nothing_of_mine(mp_http, mp_app, db, fake_wechat):
    a, b = (new_phone(), resident_id()), (new_phone(), resident_id())
    _, (ra,), docs_a = await serve(db, [person(*a)], documents=1)
    await serve(db, [person(*b, name="李四")], documents=1)
    token_a = await verified_by_sms(mp_http, db, fake_wechat, *a, openid="o-a")
    token_b = await verified_by_sms(mp_http, db, fake_wechat, *b, name="李四", openid="o-b")
    delivery_a = await Delivery.get(recipient_id=ra.id, channel=Channel.WECHAT)
    doc = docs_a[0].id
    opened = await mp_http.get(f"/mp/api/v1/deliveries/{delivery_a.id}/documents/{doc}", headers=auth(token_a))
    await mp_http.post(f"/mp/api/v1/deliveries/{delivery_a.id}/sign", headers=auth(token_a),
                       files={"signature": ("s.png", signature_png(), "image/png")})
    await seal_pending_receipts(sealer=mp_app.ctx.sealer, storage=mp_app.ctx.storage, settings=db,
                                worker_id="t", now=now())
    receipt_no = (await mp_http.get("/mp/api/v1/services", headers=auth(token_a))).json()["services"][0]["receipt"]["receipt_no"]

    listing = (await mp_http.get("/mp/api/v1/services", headers=auth(token_b))).json()["services"]
    assert delivery_a.id not in [s["delivery"]["id"] for s in listing]
    error(await mp_http.get(f"/mp/api/v1/deliveries/{delivery_a.id}/documents/{doc}", headers=auth(token_b)),
          404, "delivery_not_found")
    error(await mp_http.post(f"/mp/api/v1/deliveries/{delivery_a.id}/sign", headers=auth(token_b),
                             files={"signature": ("s.png", signature_png(), "image/png")}), 404, "delivery_not_found")
    error(await mp_http.get(f"/mp/api/v1/receipts/{receipt_no}.pdf", headers=auth(token_b)), 404, "receipt_not_found")
    # A page URL signed for A's delivery cannot be bent to another document.
    url = opened.json()["pages"][0]
    error(await mp_http.get(url.replace(f"/{doc}/", f"/{doc + 1}/")), 404, "page_url_invalid")


async def test_oversized_uploads_are_refused_early(mp_http, db, fake_wechat):
    number, id_number = new_phone(), resident_id()
    _, (recipient,), _ = await serve(db, [person(number, id_number)], documents=1)
    token = await verified_by_sms(mp_http, db, fake_wechat, number, id_number)
    delivery = await Delivery.get(recipient_id=recipient.id, channel=Channel.WECHAT)
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (50 * 1024 * 1024)
    error(await mp_http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                             files={"signature": ("s.png", big, "image/png")}), 413, "upload_too_large")
    error(await mp_http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token), json={"x": 1}),
          415, "upload_not_multipart")
    error(await mp_http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                             files={"signature": ("s.png", b"not a png", "image/png")}), 422, "signature_invalid")
    for png in inkless_signature_pngs().values():
        refused = await mp_http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                                     files={"signature": ("s.png", png, "image/png")})
        error(refused, 422, "signature_too_little_ink")
        assert "签名笔画过少" in refused.json()["error"]["message"]


async def test_wrong_types_are_422_not_500(mp_http, fake_wechat):
    error(await mp_http.post("/mp/api/v1/session", json={"code": 123}), 422, "validation_failed")
    error(await mp_http.post("/mp/api/v1/session", json=["code"]), 422, "bad_json")
    token = await login(mp_http, fake_wechat)
    error(await mp_http.post("/mp/api/v1/phone", json={"code": 1, "phone": 2}, headers=auth(token)),
          422, "validation_failed")
    error(await mp_http.post("/mp/api/v1/phone", json={"sms_code": "123456", "phone": 13800000000},
                             headers=auth(token)), 422, "validation_failed")
    error(await mp_http.post("/mp/api/v1/identity", json={"name": ["x"], "id_number": None}, headers=auth(token)),
          422, "validation_failed")
    error(await mp_http.post("/mp/api/v1/face/consent", json={"version": 1}, headers=auth(token)),
          422, "validation_failed")
    assert (await mp_http.get("/mp/api/v1/receipts/../../etc/passwd", headers=auth(token))).status_code == 404
    assert (await mp_http.get("/mp/api/v1/pages/1/1/1.png?e=abc&s=x")).status_code == 404
    assert (await mp_http.get("/mp/api/v1/pages/99999999999/1/1.png")).status_code == 404


async def test_session_key_is_never_stored_returned_or_logged(mp_http, fake_wechat, caplog):
    from identity.models import Session

    caplog.set_level(logging.DEBUG)
    response = await mp_http.post("/mp/api/v1/session", json={"code": fake_wechat.login_code("o-k")})
    key = fake_wechat.session_keys[-1]
    assert key not in response.text and key not in caplog.text
    assert all(key not in str(s.data) for s in await Session.all())
