"""The 送达回证 of a pickup task carries the same /verify QR code as an electronic receipt, and
/verify answers for its number (record, upload check) as it does for electronic ones."""
from __future__ import annotations

import pypdfium2
import zxingcpp

from inperson.receipt import seal_task_receipt
from receipts.seal import Sealer
from tests.inperson.helpers import NOW, desk_pickup


async def _sealed_pickup(db):
    ns, _, receipt, _ = await desk_pickup(db)
    sealed = await seal_task_receipt(receipt.id, sealer=Sealer.from_settings(db), storage=ns.storage, settings=db,
                                     now=NOW)
    return ns, sealed, ns.storage.get(sealed.pdf_sha256)


def _qr_texts(pdf: bytes) -> set[str]:
    document = pypdfium2.PdfDocument(pdf)
    return {r.text for page in document for r in zxingcpp.read_barcodes(page.render(scale=2).to_pil())}


async def test_the_task_receipt_qr_code_points_to_its_verify_page(db):
    _, sealed, pdf = await _sealed_pickup(db)
    url = f"{db.public_base_url.rstrip('/')}/verify/{sealed.receipt_no}"
    assert url in _qr_texts(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf))
    assert url in text.replace("\r", "").replace("\n", "")


async def test_verify_answers_for_a_task_receipt(http, db):
    ns, sealed, pdf = await _sealed_pickup(db)
    page = await http.get(f"/verify/{sealed.receipt_no}")
    assert page.status_code == 200
    assert sealed.receipt_no in page.text and sealed.pdf_sha256 in page.text
    assert "直接送达（来院领取）" in page.text
    assert ns.recipient.name not in page.text and (ns.recipient.name[0] + "*") in page.text
    same = await http.post(f"/verify/{sealed.receipt_no}", files={"file": ("回证.pdf", pdf, "application/pdf")})
    assert same.status_code == 200 and "一致" in same.text and "不一致" not in same.text
    other = await http.post(f"/verify/{sealed.receipt_no}", files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert other.status_code == 200 and "不一致" in other.text


async def test_an_unknown_number_is_not_ours(http, db):
    await _sealed_pickup(db)
    response = await http.get("/verify/SD20240101ABCDEFGHJK", headers={"accept": "text/html"})
    assert response.status_code == 404 and "不是本平台出具" in response.text
