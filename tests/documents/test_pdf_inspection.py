"""PDF inspection decides by the bytes: sample documents pass, everything else is refused."""
from __future__ import annotations

import io

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from core.errors import PayloadTooLarge
from documents.pdf_inspection import DocumentRejected, PdfFacts, inspect_pdf
from tests.paths import PDFS

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 500}


def build_pdf(pages: int = 1, encrypt: StandardEncryption | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=encrypt)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def rejected(data: bytes, code: str, **limits) -> DocumentRejected:
    with pytest.raises(DocumentRejected) as info:
        inspect_pdf(data, **{**LIMITS, **limits})
    assert info.value.code == code
    assert info.value.status == 422
    return info.value


@pytest.mark.parametrize(("name", "pages"), [("summons.pdf", 1), ("judgment.pdf", 4)])
def test_sample_documents_accepted(name, pages):
    assert inspect_pdf((PDFS / name).read_bytes(), **LIMITS) == PdfFacts(page_count=pages)


def test_generated_pdf_page_count():
    assert inspect_pdf(build_pdf(7), **LIMITS).page_count == 7


@pytest.mark.parametrize("junk", [1, 100, 1000, 1023])
def test_header_after_leading_junk_accepted(junk):
    # The header may start anywhere in the first 1024 bytes.
    assert inspect_pdf(b"\x00" * junk + build_pdf(2), **LIMITS).page_count == 2


def test_header_after_1024_bytes_is_not_a_pdf():
    rejected(b"\x00" * 1100 + build_pdf(), "document_not_pdf")


def test_empty_rejected():
    assert rejected(b"", "document_empty").message == "文件为空"


@pytest.mark.parametrize("data", [
    b"hello, world",
    b"PK\x03\x04" + b"\x00" * 200,                 # a .docx renamed to .pdf
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
    "%PDF 不是".encode(),                          # "%PDF" without the dash
])
def test_not_pdf_rejected(data):
    assert "不是PDF" in rejected(data, "document_not_pdf").message


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\ngarbage that is not a pdf body",
    build_pdf(3)[:300],                             # truncated upload
])
def test_unreadable_rejected(data):
    assert "损坏" in rejected(data, "document_unreadable").message


def test_encrypted_with_user_password_rejected():
    data = build_pdf(encrypt=StandardEncryption("user-secret", "owner-secret"))
    assert "加密" in rejected(data, "document_encrypted").message


def test_encrypted_owner_password_only_rejected():
    # Opens without a password, but restricts the recipient: still refused.
    data = build_pdf(encrypt=StandardEncryption("", "owner"))
    assert "加密" in rejected(data, "document_encrypted").message


def test_too_many_pages_rejected():
    error = rejected(build_pdf(4), "document_too_many_pages", max_pages=3)
    assert "4 页" in error.message and "3 页" in error.message


def test_exactly_max_pages_accepted():
    assert inspect_pdf(build_pdf(3), max_bytes=LIMITS["max_bytes"], max_pages=3).page_count == 3


def test_too_large_is_payload_too_large():
    data = build_pdf()
    with pytest.raises(PayloadTooLarge) as info:
        inspect_pdf(data, max_bytes=len(data) - 1, max_pages=500)
    assert info.value.status == 413 and info.value.code == "document_too_large"
    assert not isinstance(info.value, DocumentRejected)


def test_size_limit_is_inclusive():
    data = build_pdf()
    assert inspect_pdf(data, max_bytes=len(data), max_pages=500).page_count == 1


def test_size_checked_before_content():
    with pytest.raises(PayloadTooLarge):
        inspect_pdf(b"not a pdf at all", max_bytes=4, max_pages=500)
