"""Reading and signing inside the portal: a logged-in litigant or lawyer uses the same reading and
signing pages as the SMS link, through their own portal delivery, with the login as the proof."""
from __future__ import annotations

import base64

from audit.choices import EventType
from audit.models import Event
from service.choices import DeliveryState
from service.models import Delivery, Receipt, Signature
from tests.factories import inkless_signature_pngs, phone, signature_png
from tests.portal.test_portal_login import csrf, lawyer, login, outbox, person, serve

PNG_URL = "data:image/png;base64,"


async def test_litigant_reads_and_signs_from_the_portal(http, db):
    number = phone()
    service, people, docs = await serve(db, [person("a", number)], documents=2)
    portal = await Delivery.get(recipient=people["a"], channel="portal")
    await login(http, db, number)

    case_page = await http.get(f"/portal/cases/{service.case_id}")
    assert case_page.status_code == 200
    assert f'href="/d/{portal.id}/documents"' in case_page.text and "在线阅读并签收" in case_page.text
    assert f'href="/d/{portal.id}/documents/{docs[0].id}"' in case_page.text

    # The login was the proof: the link's code steps send nothing and lead to the documents.
    for step in ("code", "verify"):
        response = await http.post(f"/d/{portal.id}/{step}", data={"csrf_token": csrf(case_page.text)})
        assert response.status_code == 303 and response.headers["location"] == f"/d/{portal.id}/documents"
    assert len([m for m in outbox(db) if m["template"] == "code"]) == 1  # the login's code only

    listing = await http.get(f"/d/{portal.id}/documents")
    assert listing.status_code == 200 and f'/portal/cases/{service.case_id}' in listing.text
    token = csrf(case_page.text)  # one session, one token: the portal's and the signing page's
    refused = await http.post(f"/d/{portal.id}/sign", data={
        "csrf_token": token, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert refused.status_code == 409 and "请先阅读全部文书" in refused.text  # nothing read yet

    for document in docs:
        page = await http.get(f"/d/{portal.id}/documents/{document.id}")
        assert page.status_code == 200
        image = await http.get(f"/d/{portal.id}/documents/{document.id}/pages/1.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert image.headers["cache-control"] == "no-store"

    blank = await http.post(f"/d/{portal.id}/sign", data={
        "csrf_token": token, "confirm": "1",
        "signature": PNG_URL + base64.b64encode(inkless_signature_pngs()["blank_1x1"]).decode()})
    assert blank.status_code == 422 and "签名笔画过少" in blank.text
    done = await http.post(f"/d/{portal.id}/sign", data={
        "csrf_token": token, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert done.status_code == 303 and done.headers["location"] == f"/d/{portal.id}/signed"
    assert (await Delivery.get(id=portal.id)).state is DeliveryState.SIGNED
    signature = await Signature.get(delivery_id=portal.id)
    assert signature.identity_proof["via"] == "portal_login"
    assert signature.identity_proof["method"] == "sms_code"
    assert await Receipt.exists(delivery_id=portal.id)
    events = await Event.filter(delivery_id=portal.id).order_by("id").values_list("type", flat=True)
    assert EventType.DELIVERY_SIGNED in events and EventType.DELIVERY_VIEWED in events

    again = await http.post(f"/d/{portal.id}/sign", data={
        "csrf_token": token, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert again.status_code == 409 and "您已签收" in again.text
    case_page = await http.get(f"/portal/cases/{service.case_id}")
    assert f'href="/d/{portal.id}/signed"' in case_page.text and "在线阅读并签收" not in case_page.text


async def test_lawyer_signs_only_their_own_portal_delivery(http, db):
    client_number, lawyer_number = phone(), phone()
    service, people, docs = await serve(db, [person("c", client_number), lawyer("l", lawyer_number, "c")],
                                        documents=1)
    client_portal = await Delivery.get(recipient=people["c"], channel="portal")
    lawyer_portal = await Delivery.get(recipient=people["l"], channel="portal")
    await login(http, db, lawyer_number)
    assert (await http.get(f"/d/{client_portal.id}/documents")).status_code == 404
    assert (await http.get(f"/d/{lawyer_portal.id}/documents")).status_code == 200
    # The SMS delivery of the lawyer's own row is the short link's, not the portal's.
    sms = await Delivery.get(recipient=people["l"], channel="sms")
    assert (await http.get(f"/d/{sms.id}/documents")).status_code == 404


async def test_a_delivery_created_after_login_is_verified_on_the_way_in(http, db):
    number = phone()
    await serve(db, [person("a", number)], documents=1)
    await login(http, db, number)
    later, people, docs = await serve(db, [person("a", number)], documents=1)
    portal = await Delivery.get(recipient=people["a"], channel="portal")
    assert portal.state is not DeliveryState.VERIFIED
    assert (await http.get(f"/d/{portal.id}/documents")).status_code == 200
    assert (await Delivery.get(id=portal.id)).state is DeliveryState.VERIFIED
    assert (await http.get(f"/d/{portal.id}/documents/{docs[0].id}")).status_code == 200
    assert (await Delivery.get(id=portal.id)).state is DeliveryState.VIEWED
