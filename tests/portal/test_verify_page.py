"""/verify/<receipt_no>: what the public sees, and the upload check (一致 / 不一致)."""
from __future__ import annotations

from datetime import datetime, timezone

from documents.storage import LocalStorage
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts
from service.models import Receipt
from tests.factories import SAMPLE_PDF, make_signed_delivery


async def _sealed(db):
    _, recipient, _, receipt = await make_signed_delivery(db, documents=2)
    await seal_pending_receipts(sealer=Sealer.from_settings(db), storage=LocalStorage(db.files_dir),
                                settings=db, worker_id="t", now=datetime.now(timezone.utc))
    receipt = await Receipt.get(id=receipt.id)
    return recipient, receipt, LocalStorage(db.files_dir).get(receipt.pdf_sha256)


async def test_page_shows_the_record_with_the_name_masked(http, db):
    recipient, receipt, _ = await _sealed(db)
    response = await http.get(f"/verify/{receipt.receipt_no}")
    assert response.status_code == 200
    page = response.text
    assert receipt.receipt_no in page and "(2024)桂1202民初" in page and receipt.pdf_sha256 in page
    assert recipient.name not in page and (recipient.name[0] + "*") in page
    assert "北京时间" in page
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]


async def test_our_pdf_is_consistent(http, db):
    _, receipt, pdf = await _sealed(db)
    response = await http.post(f"/verify/{receipt.receipt_no}", files={"file": ("回证.pdf", pdf, "application/pdf")})
    assert response.status_code == 200
    assert "一致" in response.text and "不一致" not in response.text


async def test_a_tampered_or_foreign_pdf_is_not(http, db):
    _, receipt, pdf = await _sealed(db)
    tampered = bytearray(pdf)
    index = pdf.index(b"/Contents") - 200
    tampered[index] = tampered[index] ^ 0x01
    for data in (bytes(tampered), SAMPLE_PDF.read_bytes(), b"not a pdf at all"):
        response = await http.post(f"/verify/{receipt.receipt_no}", files={"file": ("x.pdf", data, "application/pdf")})
        assert response.status_code == 200
        assert "不一致" in response.text


async def test_a_receipt_number_that_does_not_exist_is_not_ours(http, db):
    response = await http.get("/verify/SD20240101ABCDEFGHJK", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "不是本平台出具" in response.text
    response = await http.post("/verify/NOPE", files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert response.status_code == 404


async def test_upload_without_a_file_says_so(http, db):
    _, receipt, _ = await _sealed(db)
    response = await http.post(f"/verify/{receipt.receipt_no}", data={"x": "1"})
    assert response.status_code == 200 and "请选择" in response.text
