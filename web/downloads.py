"""Download headers: ``Content-Disposition`` per RFC 6266 and the headers every document carries.

Browsers that read RFC 5987 take ``filename*`` (the Chinese title, UTF-8, percent-encoded);
anything older falls back to the plain ASCII ``filename``. Document bytes (PDFs, signatures,
zips) are personal data: never cached, never sniffed into another type.
"""
from __future__ import annotations

from typing import Literal
from urllib.parse import quote

__all__ = ["attachment", "content_disposition", "document_headers", "inline"]

Disposition = Literal["attachment", "inline"]


def content_disposition(filename: str, *, fallback: str | None = None,
                        disposition: Disposition = "attachment") -> str:
    """``attachment; filename="<fallback>"; filename*=UTF-8''<filename>``.

    ``fallback`` is the ASCII name for old clients (by default ``filename`` itself when that is
    plain ASCII, else ``download.pdf``); ``filename*`` is added when it says more than the
    fallback. ``filename`` may be any text: every byte outside the unreserved set is
    percent-encoded, ``/`` included, so it cannot name a path.
    """
    if fallback is None:
        fallback = filename if _plain_ascii(filename) else "download.pdf"
    elif not _plain_ascii(fallback):
        raise ValueError("fallback file name must be plain ASCII without quotes")
    header = f'{disposition}; filename="{fallback}"'
    if filename != fallback:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def attachment(filename: str, *, fallback: str | None = None) -> str:
    return content_disposition(filename, fallback=fallback, disposition="attachment")


def inline(filename: str, *, fallback: str | None = None) -> str:
    return content_disposition(filename, fallback=fallback, disposition="inline")


def _plain_ascii(name: str) -> bool:
    return name.isascii() and name.isprintable() and not any(c in name for c in '"\\/')


def safe_title(title: str, default: str = "document") -> str:
    """A document title as a file name: no path separators, never empty."""
    return title.replace("/", "_").replace("\\", "_").strip() or default


def document_headers(disposition: str | None = None) -> dict[str, str]:
    """Headers for a document's bytes, with ``disposition`` when it is a download."""
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if disposition:
        headers["Content-Disposition"] = disposition
    return headers
