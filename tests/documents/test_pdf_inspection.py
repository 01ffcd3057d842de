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


# Active content (Hardening 3) and decompression bombs (Hardening 4), on hand-built PDFs.

from tests.documents.raw_pdf import deflated_blanks, lzw_zeros, raw_pdf, run_length_zeros, stream  # noqa: E402

ACTIVE = {
    "open_action_javascript": dict(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
    "open_action_js_stream": dict(catalog=b"/OpenAction << /S /JavaScript /JS 5 0 R >>",
                                  extra=[stream(b"", b"app.alert(1)")]),
    "escaped_name": dict(catalog=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
    "launch": dict(catalog=b"/OpenAction << /S /Launch /F (calc.exe) >>"),
    "page_additional_actions": dict(page=b"/AA << /O << /S /JavaScript /JS (x) >> >>"),
    "catalog_additional_actions": dict(catalog=b"/AA << /WC << /S /GoTo /D [3 0 R /Fit] >> >>"),
    "document_javascript": dict(catalog=b"/Names << /JavaScript 5 0 R >>",
                                extra=[b"<< /Names [(a) 6 0 R] >>", b"<< /S /JavaScript /JS (x) >>"]),
    "embedded_file": dict(catalog=b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
                          extra=[b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
                                 stream(b"/Type /EmbeddedFile", b"MZ")]),
    "file_attachment_annotation": dict(page=b"/Annots [5 0 R]", extra=[
        b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS (a.exe) >>"]),
    "rich_media": dict(page=b"/Annots [5 0 R]", extra=[
        b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] /RichMediaContent << >> >>"]),
    "link_to_javascript": dict(page=b"/Annots [5 0 R]", extra=[
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /JavaScript /JS (x) >> >>"]),
}


@pytest.mark.parametrize("parts", ACTIVE.values(), ids=ACTIVE.keys())
def test_active_content_refused(parts):
    data = raw_pdf(**parts)
    assert pdfium_opens(data)
    error = rejected(data, "pdf_active_content")
    assert "活动内容" in error.message


def test_plain_actions_and_links_accepted():
    data = raw_pdf(catalog=b"/OpenAction [3 0 R /Fit]", page=b"/Annots [5 0 R]", extra=[
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://court.example/) >> >>"])
    assert inspect_pdf(data, **LIMITS).page_count == 1


def pdfium_opens(data: bytes) -> bool:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return len(document) == 1
    finally:
        document.close()


def test_flate_bomb_content_stream_refused():
    bomb = deflated_blanks(80 * 1024 * 1024)  # 80 MB of blanks in ~80 KB
    data = raw_pdf(content=stream(b"/Filter /FlateDecode", bomb))
    assert len(data) < 200_000 and pdfium_opens(data)
    rejected(data, "document_too_dense")


@pytest.mark.parametrize("filter_name,encode", [(b"/LZWDecode", lzw_zeros), (b"/RunLengthDecode", run_length_zeros)],
                         ids=["lzw", "run_length"])
def test_lzw_and_run_length_bombs_refused_like_flate(filter_name, encode):
    bomb = encode(80 * 1024 * 1024)  # LZW: ~60 KB; RunLength: 1.3 MB (it expands 64 times at most)
    data = raw_pdf(content=stream(b"/Filter " + filter_name, bomb))
    assert pdfium_opens(data)
    rejected(data, "document_too_dense")


@pytest.mark.parametrize("filter_name,encode", [(b"/LZWDecode", lzw_zeros), (b"/RunLengthDecode", run_length_zeros)],
                         ids=["lzw", "run_length"])
def test_lzw_and_run_length_streams_within_the_limit_accepted(filter_name, encode):
    data = raw_pdf(content=stream(b"/Filter " + filter_name, encode(2 * 1024 * 1024)))
    assert inspect_pdf(data, **LIMITS).page_count == 1


def test_lzw_size_is_counted_exactly_without_decoding():
    from documents.pdf_inspection import _lzw_size, _run_length_size

    for size in (1, 300, 70_000, 9_000_000):
        encoded = lzw_zeros(size)
        assert size <= _lzw_size(encoded, 10**12) < size + 4096  # the encoder ends on a whole run
        assert _lzw_size(encoded, 1000) <= 1000 + 4096  # stops soon past the limit
    assert _run_length_size(bytes([2]) + b"abc" + bytes([255, 7, 128]), 100) == 5
    assert _run_length_size(run_length_zeros(64 * 1024 * 1024), 1024) < 2048


def test_many_streams_past_the_total_refused():
    part = deflated_blanks(40 * 1024 * 1024)
    streams = [stream(b"/Filter /FlateDecode", part) for _ in range(7)]  # 280 MB in all
    contents = b"[" + b" ".join(b"%d 0 R" % n for n in range(5, 12)) + b"]"
    data = raw_pdf(page=b"/Contents " + contents, extra=streams)
    rejected(data, "document_too_dense")


def test_image_of_absurd_dimensions_refused():
    image = stream(b"/Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8 /Filter /FlateDecode", deflated_blanks(1024 * 1024))
    data = raw_pdf(page=b"/Resources << /XObject << /Im1 5 0 R >> >>",
                   content=stream(b"", b"q 500 0 0 500 0 0 cm /Im1 Do Q"), extra=[image])
    rejected(data, "document_too_dense")


def test_ordinary_compressed_pages_accepted():
    content = stream(b"/Filter /FlateDecode", deflated_blanks(2 * 1024 * 1024))
    assert inspect_pdf(raw_pdf(content=content), **LIMITS).page_count == 1
    assert inspect_pdf(build_pdf(300), **LIMITS).page_count == 300
