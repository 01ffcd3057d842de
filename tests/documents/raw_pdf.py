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


def lzw_zeros(size: int) -> bytes:
    """At least ``size`` zero bytes, LZW-compressed (EarlyChange 1) the way a run compresses best:
    each code names a run one byte longer than the last (0, then 258 = two zeros, 259 = three …),
    with a clear code before the table fills. ~80 MB fit in ~60 KB."""
    codes: list[int] = []
    produced = 0
    while produced < size:
        codes.append(256)
        codes.append(0)
        produced += 1
        for entry in range(258, 4094):
            codes.append(entry)
            produced += entry - 256
            if produced >= size:
                break
    codes.append(257)
    out, buffer, held, bits, table = bytearray(), 0, 0, 9, 258
    prev = None
    for code in codes:
        buffer, held = (buffer << bits) | code, held + bits
        while held >= 8:
            held -= 8
            out.append((buffer >> held) & 0xFF)
        buffer &= (1 << held) - 1
        if code == 256:
            bits, table, prev = 9, 258, None
            continue
        if prev is not None:
            table += 1
        prev = code
        if table + 1 >= (1 << bits) and bits < 12:
            bits += 1
    if held:
        out.append((buffer << (8 - held)) & 0xFF)
    return bytes(out)


def run_length_zeros(size: int) -> bytes:
    """``size`` zero bytes (rounded up to 128), RunLength-encoded: 128 of them in two bytes."""
    return bytes([129, 0]) * -(-size // 128) + bytes([128])
