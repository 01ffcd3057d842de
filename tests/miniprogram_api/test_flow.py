"""The whole non-face route through the API: login → phone (SMS) → name + ID → list → page image
through a signed URL → sign → sealed receipt. On SQLite and PostgreSQL."""
from __future__ import annotations

import re

from audit.choices import EventType
from audit.models import Event
from identity.mp_models import MpBinding
from receipts.worker import seal_pending_receipts
from service.choices import Channel, DeliveryState, ReceiptStatus
from service.models import Delivery, Receipt, Signature
from tests.factories import phone as new_phone
from tests.factories import resident_id, signature_png
from tests.miniprogram_api.mp_helpers import auth, login, now, person, serve, verified_by_sms


async def test_non_face_route_end_to_end(mp_http, mp_app, db, fake_wechat):
    http = mp_http
    number, id_number = new_phone(), resident_id()
    service, (recipient,), docs = await serve(db, [person(number, id_number)], documents=2)
    token = await verified_by_sms(http, db, fake_wechat, number, id_number)
    assert await MpBinding.filter(openid="o-litigant").count() == 1
    delivery = await Delivery.get(recipient_id=recipient.id, channel=Channel.WECHAT)
    assert delivery.state is DeliveryState.VERIFIED

    listing = (await http.get("/mp/api/v1/services", headers=auth(token))).json()["services"]
    assert [s["service_id"] for s in listing] == [service.id]
    entry = listing[0]
    assert entry["delivery"]["id"] == delivery.id and len(entry["documents"]) == 2

    # Signing before reading every document is refused, as on the portal.
    early = await http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                            files={"signature": ("sig.png", signature_png(), "image/png")})
    assert early.status_code == 409 and early.json()["error"]["code"] == "documents_unread"

    for document in entry["documents"]:
        opened = await http.get(f"/mp/api/v1/deliveries/{delivery.id}/documents/{document['id']}", headers=auth(token))
        assert opened.status_code == 200, opened.text
        page_url = opened.json()["pages"][0]
        image = await http.get(page_url)  # no bearer token: the signature is the permission
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        forged = page_url.replace("s=", "s=0")
        assert (await http.get(forged)).status_code == 404
        # "²".isdigit() is True but int("²") raises: a superscript expiry is a bad URL, not a 500.
        superscript = re.sub(r"e=\d+", "e=%C2%B2", page_url)
        assert (await http.get(superscript)).status_code == 404
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED
    before = (await http.get("/mp/api/v1/services", headers=auth(token))).json()["services"][0]
    assert before["court_phone"] and before["expires_at"]
    said = before["legal_effect"]  # shown by the mini-program's sign button

    signed = await http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                             files={"signature": ("sig.png", signature_png(), "image/png")})
    assert signed.status_code == 201, signed.text
    receipt_no = signed.json()["receipt_no"]
    proof = (await Signature.get(delivery_id=delivery.id)).identity_proof
    assert proof["method"] == "sms_code" and "****" in proof["phone_masked"]

    pending = await http.get(f"/mp/api/v1/receipts/{receipt_no}.pdf", headers=auth(token))
    assert pending.status_code == 202 and int(pending.headers["Retry-After"]) >= 1
    await seal_pending_receipts(sealer=mp_app.ctx.sealer, storage=mp_app.ctx.storage, settings=db,
                                worker_id="test", now=now())
    assert (await Receipt.get(receipt_no=receipt_no)).status is ReceiptStatus.SEALED
    pdf = await http.get(f"/mp/api/v1/receipts/{receipt_no}.pdf", headers=auth(token))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sealed = await Receipt.get(receipt_no=receipt_no)
    # The sentence before signing is the decision the sealed receipt prints.
    assert sealed.effect_reason in said and sealed.effect_rule in said, said
    after = (await http.get("/mp/api/v1/services", headers=auth(token))).json()["services"][0]
    assert sealed.effect_reason in after["legal_effect"] and "签收是确认" not in after["legal_effect"]
    types = {e.type for e in await Event.filter(delivery_id=delivery.id)}
    assert {EventType.DELIVERY_VERIFIED, EventType.DOCUMENT_VIEWED, EventType.DELIVERY_SIGNED} <= types


async def test_phone_through_wechat_then_sms_code_completes(mp_http, db, fake_wechat):
    http = mp_http
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)])
    token = await login(http, fake_wechat)
    proved = await http.post("/mp/api/v1/phone", json={"code": fake_wechat.phone_code(number)}, headers=auth(token))
    assert proved.status_code == 200, proved.text
    assert proved.json()["status"]["phone_verified"] and not proved.json()["status"]["sms_verified"]
    bound = await http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=auth(token))
    assert bound.json()["status"] == {**bound.json()["status"], "identity_verified": True, "verified": False}
    assert bound.json()["routes"]["sms"] is True
    # Not verified yet: WeChat's phone proof plus name + ID is one factor short.
    assert (await http.get("/mp/api/v1/services", headers=auth(token))).status_code == 403
    sent = await http.post("/mp/api/v1/phone/code", json={}, headers=auth(token))  # to the phone WeChat gave
    assert sent.status_code == 200, sent.text
    from tests.miniprogram_api.mp_helpers import last_code

    done = await http.post("/mp/api/v1/phone", json={"sms_code": last_code(db, number)}, headers=auth(token))
    assert done.json()["status"]["verified"] is True
    assert (await http.get("/mp/api/v1/services", headers=auth(token))).status_code == 200


async def test_one_person_in_several_services_sees_them_all(mp_http, db, fake_wechat):
    number, id_number = new_phone(), resident_id()
    first, _, _ = await serve(db, [person(number, id_number)], documents=1)
    second, _, _ = await serve(db, [person(number, id_number, role="plaintiff")], documents=1)
    token = await verified_by_sms(mp_http, db, fake_wechat, number, id_number)
    listing = (await mp_http.get("/mp/api/v1/services", headers=auth(token))).json()["services"]
    assert {s["service_id"] for s in listing} == {first.id, second.id}
    # A service that arrives after verification shows up verified at once.
    third, (recipient,), _ = await serve(db, [person(number, id_number)], documents=1)
    listing = (await mp_http.get("/mp/api/v1/services", headers=auth(token))).json()["services"]
    assert third.id in {s["service_id"] for s in listing}
    assert (await Delivery.get(recipient_id=recipient.id, channel=Channel.WECHAT)).state is DeliveryState.VERIFIED


async def test_revoked_service_is_listed_without_documents_and_closed(mp_http, db, fake_wechat):
    from audit.events import Actor, RequestMeta
    from service.revocation import revoke_service

    number, id_number = new_phone(), resident_id()
    service, (recipient,), docs = await serve(db, [person(number, id_number)], documents=1)
    token = await verified_by_sms(mp_http, db, fake_wechat, number, id_number)
    delivery = await Delivery.get(recipient_id=recipient.id, channel=Channel.WECHAT)
    await revoke_service(service.id, reason="撤回", actor=Actor.system(), meta=RequestMeta.none(), now=now())
    entry = (await mp_http.get("/mp/api/v1/services", headers=auth(token))).json()["services"][0]
    assert entry["status"] == "revoked" and entry["documents"] == [] and entry["delivery"]["closed"]
    opened = await mp_http.get(f"/mp/api/v1/deliveries/{delivery.id}/documents/{docs[0].id}", headers=auth(token))
    assert opened.status_code in (404, 410) and opened.json()["error"]["code"]
    signed = await mp_http.post(f"/mp/api/v1/deliveries/{delivery.id}/sign", headers=auth(token),
                                files={"signature": ("s.png", signature_png(), "image/png")})
    assert signed.status_code == 410 and signed.json()["error"]["code"] == "delivery_revoked"
