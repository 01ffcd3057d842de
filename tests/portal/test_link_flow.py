"""The SMS short-link path over ASGI, on SQLite and PostgreSQL: open, verify, read, sign, receipt."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from urllib.parse import quote

from audit.choices import EventType
from audit.events import Actor, RequestMeta
from audit.models import Event
from documents.page_images import cache_path
from portal.pages import csrf_token
from receipts.worker import seal_pending_receipts
from service.choices import DeliveryState, ReceiptStatus
from service.models import Delivery, Receipt, RecipientDocument, Signature
from service.notices import create_short_link
from service.revocation import revoke_service
from tests.factories import inkless_signature_pngs, make_court, make_service, signature_png

PNG_URL = "data:image/png;base64,"


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _link(db, *, documents: int = 2, court=None):
    service, people, docs = await make_service(court, db, documents=documents, channels=["sms"])
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    return service, delivery, docs, await create_short_link(delivery, now=now())


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def _last_code(db) -> str:
    lines = (db.data_dir / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1])["params"]["code"]


async def _open(http, token: str, delivery_id: int) -> str:
    response = await http.get(f"/s/{token}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/d/{delivery_id}"
    assert "songda_sid" in response.headers["set-cookie"]
    landing = await http.get(f"/d/{delivery_id}")
    assert landing.status_code == 200
    return _csrf(landing.text)


async def _verified(http, db, token: str, delivery_id: int) -> None:
    csrf = await _open(http, token, delivery_id)
    sent = await http.post(f"/d/{delivery_id}/code", data={"csrf_token": csrf})
    assert sent.status_code == 303
    verified = await http.post(f"/d/{delivery_id}/verify", data={"csrf_token": csrf, "code": _last_code(db)})
    assert verified.status_code == 303, verified.text
    assert verified.headers["location"] == f"/d/{delivery_id}/documents"


async def _sign_csrf(http, delivery_id: int) -> str:
    return _csrf((await http.get(f"/d/{delivery_id}/sign")).text)


async def test_full_path(http, db, app):
    service, delivery, docs, token = await _link(db)
    csrf = await _open(http, token, delivery.id)
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.OPENED
    landing = await http.get(f"/d/{delivery.id}")
    assert "获取验证码" in landing.text and "****" in landing.text
    sent = await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf})
    assert sent.status_code == 303
    code = _last_code(db)
    old_cookie = http.cookies.get("songda_sid")
    verified = await http.post(f"/d/{delivery.id}/verify", data={"csrf_token": csrf, "code": code})
    assert verified.status_code == 303
    assert http.cookies.get("songda_sid") != old_cookie  # rotated on verification
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VERIFIED

    listing = await http.get(f"/d/{delivery.id}/documents")
    assert listing.status_code == 200 and all(d.title in listing.text for d in docs)
    refused = await http.get(f"/d/{delivery.id}/sign")
    assert 'id="unread"' in refused.text and "signature-pad" not in refused.text

    for doc in docs:
        view = await http.get(f"/d/{delivery.id}/documents/{doc.id}")
        assert view.status_code == 200
        assert view.text.count('loading="lazy"') == doc.page_count
        assert f'src="/d/{delivery.id}/documents/{doc.id}/pages/1.png"' in view.text
    image = await http.get(f"/d/{delivery.id}/documents/{docs[0].id}/pages/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "no-store" and image.headers["x-content-type-options"] == "nosniff"
    assert cache_path(db.data_dir / "page-cache", docs[0].sha256, 1).exists()
    assert (await http.get(f"/d/{delivery.id}/documents/{docs[0].id}/pages/999.png")).status_code == 404

    download = await http.get(f"/d/{delivery.id}/documents/{docs[0].id}/download")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="document.pdf"; ')
    assert f"filename*=UTF-8''{quote(docs[0].title + '.pdf', safe='')}" in disposition
    assert download.headers["cache-control"] == "no-store"
    row = await RecipientDocument.get(recipient_id=delivery.recipient_id, document_id=docs[0].id)
    assert row.download_count == 1 and row.view_count == 1
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED

    form = await http.get(f"/d/{delivery.id}/sign")
    assert "签收即表示您已收到上述法律文书" in form.text and 'id="signature-pad"' in form.text
    csrf = _csrf(form.text)
    signed = await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": csrf, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert signed.status_code == 303 and signed.headers["location"] == f"/d/{delivery.id}/signed"
    signature = await Signature.get(delivery_id=delivery.id)
    assert signature.identity_proof["method"] == "sms_code" and "****" in signature.identity_proof["phone_masked"]

    pending = await http.get(f"/d/{delivery.id}/receipt.pdf")
    assert pending.status_code == 202 and "回证生成中" in pending.text
    page = await http.get(f"/d/{delivery.id}/signed")
    receipt = await Receipt.get(delivery_id=delivery.id)
    assert receipt.receipt_no in page.text and "回证生成中" in page.text
    await seal_pending_receipts(sealer=app.ctx.sealer, storage=app.ctx.storage, settings=db,
                                worker_id="test", now=now())
    assert (await Receipt.get(id=receipt.id)).status is ReceiptStatus.SEALED
    assert 'id="receipt-link"' in (await http.get(f"/d/{delivery.id}/signed")).text
    pdf = await http.get(f"/d/{delivery.id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]

    again = await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": csrf, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert again.status_code == 409 and "无需重复签收" in again.text


async def test_unknown_token_is_404_and_lookups_are_limited(http, db):
    first = await http.get("/s/nope")
    second = await http.get("/s/" + "A" * 22)
    assert first.status_code == second.status_code == 404
    assert first.text == second.text and "页面不存在" in first.text
    # 30 lookups a minute per address. The window is fixed, so a minute boundary inside the loop
    # can reset the count once: within 61 more lookups one is refused whatever the clock says.
    statuses = [(await http.get(f"/s/x{i}")).status_code for i in range(61)]
    assert statuses[:28] == [404] * 28 and 429 in statuses
    limited = await http.get("/s/y")
    assert limited.status_code == 429 and "操作过于频繁" in limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


async def test_revoked_link_is_410_with_court_phone(http, db):
    court = await make_court()
    service, delivery, _, token = await _link(db, court=court)
    await revoke_service(service.id, reason="重复送达", actor=Actor.system(), meta=RequestMeta.none(), now=now())
    response = await http.get(f"/s/{token}")
    assert response.status_code == 410
    assert court.phone in response.text and "撤回" in response.text


async def test_other_recipients_delivery_and_other_case_document_are_404(http, db):
    _, delivery, docs, token = await _link(db)
    _, other, other_docs, _ = await _link(db)
    await _verified(http, db, token, delivery.id)
    missing = await http.get("/d/999999")
    foreign = await http.get(f"/d/{other.id}")
    assert foreign.status_code == missing.status_code == 404 and foreign.text == missing.text
    assert (await http.get(f"/d/{delivery.id}/documents/{other_docs[0].id}")).status_code == 404
    assert (await http.get(f"/d/{delivery.id}/documents/{other_docs[0].id}/download")).status_code == 404
    assert (await http.get(f"/d/{delivery.id}/documents/{other_docs[0].id}/pages/1.png")).status_code == 404


async def test_documents_need_verification(http, db):
    _, delivery, docs, token = await _link(db)
    await _open(http, token, delivery.id)
    response = await http.get(f"/d/{delivery.id}/documents/{docs[0].id}")
    assert response.status_code == 303 and response.headers["location"] == f"/d/{delivery.id}"


async def test_missing_or_wrong_csrf_is_403(http, db):
    _, delivery, _, token = await _link(db)
    await _open(http, token, delivery.id)
    missing = await http.post(f"/d/{delivery.id}/code", data={})
    wrong = await http.post(f"/d/{delivery.id}/verify", data={"csrf_token": "0" * 64, "code": "123456"})
    assert missing.status_code == wrong.status_code == 403
    assert "请求无效" in missing.text
    assert not (db.data_dir / "dev-sms.jsonl").exists()


async def test_wrong_code_and_repeated_request_show_chinese_messages(http, db):
    _, delivery, _, token = await _link(db)
    csrf = await _open(http, token, delivery.id)
    await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf})
    code = _last_code(db)
    wrong = "000000" if code != "000000" else "111111"
    response = await http.post(f"/d/{delivery.id}/verify", data={"csrf_token": csrf, "code": wrong})
    assert response.status_code == 400 and "验证码错误，还可尝试4次" in response.text
    malformed = await http.post(f"/d/{delivery.id}/verify", data={"csrf_token": csrf, "code": "12"})
    assert malformed.status_code == 422 and "6位数字" in malformed.text
    cooldown = await http.post(f"/d/{delivery.id}/code", data={"csrf_token": csrf})
    assert cooldown.status_code == 429 and "秒后再试" in cooldown.text
    assert 1 <= int(cooldown.headers["Retry-After"]) <= 60  # the cooldown's own end
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.OPENED
    # The clerk's timeline shows the text that went out and each failed check, never the code.
    steps = await Event.filter(delivery_id=delivery.id).order_by("id").values("type", "data")
    assert [(e["type"], (e["data"] or {}).get("reason")) for e in steps] == [
        (EventType.DELIVERY_OPENED, None), (EventType.DELIVERY_CODE_SENT, None),
        (EventType.DELIVERY_CODE_FAILED, "code_wrong"), (EventType.DELIVERY_CODE_FAILED, "code_malformed")]
    assert "****" in steps[1]["data"]["phone_masked"]
    assert all(code not in str(e["data"]) for e in steps)


async def test_bad_signatures_are_refused(http, db):
    _, delivery, docs, token = await _link(db, documents=1)
    await _verified(http, db, token, delivery.id)
    # The sign page offers no form yet: post with the token the session would get.
    token_now = csrf_token(db, http.cookies.get("songda_sid"))
    early = await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": token_now, "confirm": "1", "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert early.status_code == 409 and "请先阅读全部文书" in early.text
    await http.get(f"/d/{delivery.id}/documents/{docs[0].id}")
    csrf = await _sign_csrf(http, delivery.id)
    gif = "data:image/gif;base64," + base64.b64encode(b"GIF89a....").decode()
    not_png = await http.post(f"/d/{delivery.id}/sign", data={"csrf_token": csrf, "confirm": "1", "signature": gif})
    assert not_png.status_code == 422 and "PNG" in not_png.text
    fake = PNG_URL + base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()
    broken = await http.post(f"/d/{delivery.id}/sign", data={"csrf_token": csrf, "confirm": "1", "signature": fake})
    assert broken.status_code == 422 and "无法读取" in broken.text
    for name, png in inkless_signature_pngs().items():
        inkless = await http.post(f"/d/{delivery.id}/sign", data={
            "csrf_token": csrf, "confirm": "1", "signature": PNG_URL + base64.b64encode(png).decode()})
        assert inkless.status_code == 422 and "签名笔画过少" in inkless.text, name
    unconfirmed = await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": csrf, "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert unconfirmed.status_code == 422 and "请勾选" in unconfirmed.text
    assert (await Delivery.get(id=delivery.id)).state is DeliveryState.VIEWED
