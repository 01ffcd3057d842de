"""RFC 6266 Content-Disposition with an ASCII fallback and RFC 5987 filename*; document headers."""
from __future__ import annotations

from urllib.parse import quote, unquote

import pytest

from web.downloads import (
    attachment,
    content_disposition,
    document_headers,
    inline,
    safe_title,
)


def test_chinese_name_goes_in_filename_star():
    header = attachment("送达回证-SD2024.pdf", fallback="receipt.pdf")
    assert header == "attachment; filename=\"receipt.pdf\"; filename*=UTF-8''" + quote("送达回证-SD2024.pdf", safe="")
    assert unquote(header.split("''", 1)[1]) == "送达回证-SD2024.pdf"


def test_default_fallback_and_inline():
    assert content_disposition("文书.pdf") == "attachment; filename=\"download.pdf\"; filename*=UTF-8''%E6%96%87%E4%B9%A6.pdf"
    assert inline("文书.pdf").startswith('inline; filename="download.pdf"; ')


def test_a_plain_ascii_name_needs_no_filename_star():
    assert attachment("receipt-SD1.pdf") == 'attachment; filename="receipt-SD1.pdf"'
    assert inline("a b.pdf") == 'inline; filename="a b.pdf"'
    assert attachment("a b.pdf", fallback="x.pdf") == "attachment; filename=\"x.pdf\"; filename*=UTF-8''a%20b.pdf"


def test_separators_and_quotes_cannot_escape_the_value():
    header = attachment('../"evil"\r\n.pdf')
    assert header.startswith('attachment; filename="download.pdf"; ')
    star = header.split("filename*=UTF-8''", 1)[1]
    assert "/" not in star and '"' not in star and "\r" not in star and "\n" not in star


@pytest.mark.parametrize("fallback", ["文书.pdf", 'a"b.pdf', "a\r\nb.pdf", "../x.pdf"])
def test_fallback_must_be_plain_ascii(fallback):
    with pytest.raises(ValueError):
        attachment("x.pdf", fallback=fallback)


def test_safe_title():
    assert safe_title("判决书/第一页\\二") == "判决书_第一页_二"
    assert safe_title("  ") == "document"


def test_document_headers():
    assert document_headers() == {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    assert document_headers("attachment")["Content-Disposition"] == "attachment"
