"""Every link page says who to call, by when, what the next step does and what it means in law;
the sign page's sentence is the receipt's own decision, per basis (在线诉讼规则 art. 31,
民事诉讼法 art. 100); a signed link reopens as 已签收 with its receipt."""
from __future__ import annotations

import base64
import html
import re

import pytest

from documents.kinds import DocumentKind
from receipts.worker import seal_pending_receipts
from service.models import Delivery, Receipt
from service.notices import create_short_link
from tests.factories import make_service, signature_png
from tests.portal.test_link_flow import PNG_URL, _csrf, _verified, now
from web.templating import beijing

BASES = {
    "confirmed": ("confirmed", DocumentKind.SUMMONS),
    "court_found": ("court_found", DocumentKind.SUMMONS),
    "mediation": ("confirmed", DocumentKind.MEDIATION),
}


def _text(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|dd)>', page, re.S)
    assert match, element_id
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


def _court_help(page: str) -> None:
    assert "0772-0000000" in _text(page, "court-phone") and 'href="tel:0772-0000000"' in page
    assert _text(page, "next-step").startswith("下一步：")
    effect = _text(page, "effect-line") if 'id="effect-line"' in page else _text(page, "legal-effect")
    assert "法律效力" in effect
    assert "id=\"deadline\"" in page


@pytest.mark.parametrize("basis", sorted(BASES))
async def test_sign_page_states_what_the_receipt_states(http, db, app, basis):
    consent, kind = BASES[basis]
    _, people, docs = await make_service(None, db, documents=1, consent=consent, kind=kind, channels=["sms"])
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    token = await create_short_link(delivery, now=now())
    await _verified(http, db, token, delivery.id)
    _court_help((await http.get(f"/d/{delivery.id}/documents")).text)
    _court_help((await http.get(f"/d/{delivery.id}/documents/{docs[0].id}")).text)
    form = await http.get(f"/d/{delivery.id}/sign")
    _court_help(form.text)
    said = _text(form.text, "legal-effect")
    assert "自签收时起发生法律效力" not in said or basis == "mediation"
    signed = await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": _csrf(form.text), "confirm": "1",
        "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    assert signed.status_code == 303
    await seal_pending_receipts(sealer=app.ctx.sealer, storage=app.ctx.storage, settings=db, worker_id="t",
                                now=now())
    receipt = await Receipt.get(delivery_id=delivery.id)
    # The receipt's 法律效力 section: 法律依据 and 说明 verbatim, and the time where it was known.
    assert receipt.effect_reason in said and receipt.effect_rule in said
    if basis == "mediation":
        assert "自您签收时起发生法律效力" in said
    else:
        assert f"已于{beijing(receipt.effective_at)}（北京时间）发生法律效力" in said
    page = await http.get(f"/d/{delivery.id}/signed")
    _court_help(page.text)
    line = _text(page.text, "effect-line")
    assert receipt.effect_reason in line and beijing(receipt.effective_at) in line


async def test_a_signed_link_reopens_as_signed_with_its_receipt(http, db, app):
    _, people, docs = await make_service(None, db, documents=1, channels=["sms"])
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    token = await create_short_link(delivery, now=now())
    await _verified(http, db, token, delivery.id)
    await http.get(f"/d/{delivery.id}/documents/{docs[0].id}")
    form = await http.get(f"/d/{delivery.id}/sign")
    await http.post(f"/d/{delivery.id}/sign", data={
        "csrf_token": _csrf(form.text), "confirm": "1",
        "signature": PNG_URL + base64.b64encode(signature_png()).decode()})
    status = await http.get(f"/d/{delivery.id}/receipt-status")
    assert status.json() == {"sealed": False} and status.headers["cache-control"] == "no-store"
    await seal_pending_receipts(sealer=app.ctx.sealer, storage=app.ctx.storage, settings=db, worker_id="t",
                                now=now())
    assert (await http.get(f"/d/{delivery.id}/receipt-status")).json() == {"sealed": True}

    http.cookies.clear()  # days later, on the same phone or another: the SMS link again
    opened = await http.get(f"/s/{token}")
    assert opened.status_code == 303
    landing = await http.get(f"/d/{delivery.id}")
    assert landing.status_code == 303 and landing.headers["location"] == f"/d/{delivery.id}/signed"
    page = await http.get(f"/d/{delivery.id}/signed")
    assert page.status_code == 200 and "<h1>已签收</h1>" in page.text and "获取验证码" not in page.text
    receipt = await Receipt.get(delivery_id=delivery.id)
    assert receipt.receipt_no in page.text and 'id="receipt-link"' in page.text
    # The receipt PDF carries the signature image, and the documents their contents: both still
    # need a code to the recipient's phone; the link offers one.
    assert f'href="/d/{delivery.id}?verify=1"' in page.text
    pdf = await http.get(f"/d/{delivery.id}/receipt.pdf")
    assert pdf.status_code == 303 and pdf.headers["location"] == f"/d/{delivery.id}"
    documents = await http.get(f"/d/{delivery.id}/documents")
    assert documents.status_code == 303 and documents.headers["location"] == f"/d/{delivery.id}"
    asked = await http.get(f"/d/{delivery.id}?verify=1")
    assert asked.status_code == 200 and "获取验证码" in asked.text


async def test_a_broken_link_says_what_to_do(http, db):
    page = await http.get("/s/" + "B" * 22)
    assert page.status_code == 404 and "12368" in page.text and "重新点开法院短信中的链接" in page.text


async def test_document_page_numbers_large_type_and_text_layer(http, db):
    _, people, docs = await make_service(None, db, documents=1, channels=["sms"])
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    await _verified(http, db, await create_short_link(delivery, now=now()), delivery.id)
    page = (await http.get(f"/d/{delivery.id}/documents/{docs[0].id}")).text
    assert "第 1 / 1 页" in page and 'id="large-text"' in page and 'loading="lazy"' in page
    assert "案由：民间借贷纠纷" in page and "<details class=\"page-text\">" in page
    assert '<script src="/static/viewer.js" defer></script>' in page
    large = (await http.get(f"/d/{delivery.id}/documents/{docs[0].id}?large=1")).text
    assert 'class="pages large"' in large and "<details class=\"page-text\" open>" in large
