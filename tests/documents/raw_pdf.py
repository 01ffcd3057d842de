"""Hand-built PDFs for the inspection tests: a catalog, a page and whatever the test adds."""
from __future__ import annotations

import zlib


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def raw_pdf(*, catalog: bytes = b"", page: bytes = b"", media_box: bytes = b"[0 0 595 842]",
            content: bytes | None = None, extra: list[bytes] | None = None) -> bytes:
    """Objects 1 catalog, 2 pages, 3 page, 4 content; ``extra`` are objects 5, 6, …"""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox " + media_box + b" /Contents 4 0 R " + page + b" >>",
        content if content is not None else stream(b"", b"BT ET"),
        *(extra or []),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def deflated_blanks(size: int) -> bytes:
    """``size`` spaces (a valid, empty content stream), Flate-compressed a megabyte at a time."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + packer.flush()
