"""Deciding whether uploaded bytes are a PDF we can serve: by its bytes, not its name."""
from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.filters import get_generic_decoder
from pyhanko.pdf_utils.reader import PdfFileReader

from core.errors import AppError, PayloadTooLarge


class DocumentRejected(AppError):
    status = 422
    code = "document_rejected"


@dataclass(frozen=True)
class PdfFacts:
    page_count: int


# What a served document may not carry: scripts, launched programs, attached files, embedded
# media, XFA forms. A litigant's viewer would run them; a court document never needs them.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
                "/RichMedia", "/RichMediaContent", "/RichMediaSettings", "/XFA"}
_ACTIVE_TYPES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia", "/RichMediaExecute",
                 "/FileAttachment", "/ImportData", "/Movie", "/Sound", "/Rendition", "/Screen"}
# Decompression-bomb limits: what one stream and the whole file may decode to. A page of text is
# kilobytes; a 600 dpi A4 greyscale scan about 35 MB.
MAX_STREAM_DECODED = 64 * 1024 * 1024
MAX_IMAGE_DECODED = 160 * 1024 * 1024
MAX_TOTAL_DECODED = 256 * 1024 * 1024
MAX_IMAGE_PIXELS = 60_000_000
_CHUNK = 1024 * 1024
_STOP = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode", "/Crypt"}

logger = logging.getLogger(__name__)


def _active_content() -> DocumentRejected:
    return DocumentRejected("PDF含有脚本、附件或多媒体等活动内容，请上传不含活动内容的文书",
                            code="pdf_active_content")


def _too_dense() -> DocumentRejected:
    return DocumentRejected("PDF解压后的内容过大，无法安全显示，请重新生成后上传",
                            code="document_too_dense")


def _walk(obj: generic.PdfObject, depth: int = 0) -> Iterator[generic.DictionaryObject]:
    """Every dictionary inside ``obj`` without following references (each object is visited
    on its own)."""
    if depth > 64:
        raise DocumentRejected("PDF文件结构嵌套过深", code="document_unreadable")
    if isinstance(obj, generic.DictionaryObject):
        yield obj
        for value in obj.values():
            yield from _walk(value, depth + 1)
    elif isinstance(obj, generic.ArrayObject):
        for value in obj:
            yield from _walk(value, depth + 1)


def _check_active(obj: generic.PdfObject) -> None:
    for dictionary in _walk(obj):
        if _ACTIVE_KEYS.intersection(dictionary.keys()):
            raise _active_content()
        for key in ("/S", "/Type", "/Subtype"):
            value = dictionary.get(key) if key in dictionary else None
            if isinstance(value, generic.NameObject) and value in _ACTIVE_TYPES:
                raise _active_content()


def _flate_size(data: bytes, limit: int) -> int:
    """Bytes ``data`` inflates to, counted chunk by chunk (nothing kept); stops past ``limit``."""
    inflater = zlib.decompressobj()
    total = len(inflater.decompress(data, _CHUNK))
    while inflater.unconsumed_tail and total <= limit:
        total += len(inflater.decompress(inflater.unconsumed_tail, _CHUNK))
    if total <= limit:
        total += len(inflater.flush())
    return total


def _run_length_size(data: bytes, limit: int) -> int:
    """Bytes RunLengthDecode (ISO 32000-1 §7.4.5) makes of ``data``, counted without decoding:
    a length byte n < 128 copies the next n + 1 bytes, n > 128 repeats the next byte 257 - n
    times (up to 64 times the input), 128 ends the data."""
    total, i = 0, 0
    while i < len(data) and total <= limit:
        n = data[i]
        if n == 128:
            break
        if n < 128:
            total, i = total + n + 1, i + n + 2
        else:
            total, i = total + 257 - n, i + 2
    return total


def _lzw_size(data: bytes, limit: int, early_change: int = 1) -> int:
    """Bytes LZWDecode (ISO 32000-1 §7.4.4) makes of ``data``, counted without decoding: only
    the length of each table entry is kept (an entry is its predecessor plus one byte), so a
    stream whose codes name ever longer runs (thousands of times the input) costs no memory."""
    lengths = [1] * 256 + [0, 0]  # 256 clear table, 257 end of data
    bits, prev, total, buffer, held = 9, None, 0, 0, 0
    for byte in data:
        buffer, held = (buffer << 8) | byte, held + 8
        while held >= bits:
            held -= bits
            code = (buffer >> held) & ((1 << bits) - 1)
            buffer &= (1 << held) - 1
            if code == 256:
                del lengths[258:]
                bits, prev = 9, None
                continue
            if code == 257:
                return total
            if code < len(lengths):
                out = lengths[code]
            elif code == len(lengths) and prev is not None:
                out = lengths[prev] + 1  # the entry being defined by this very code
            else:
                return total  # corrupt: a decoder stops here
            if prev is not None and len(lengths) < 4096:
                lengths.append(lengths[prev] + 1)
            total += out
            if total > limit:
                return total
            prev = code
            if len(lengths) + early_change >= (1 << bits) and bits < 12:
                bits += 1
    return total


def _decoded_size(stream: generic.StreamObject, limit: int) -> int:
    """What the stream's filters make of it, up to ``limit``. The expanding filters (Flate, LZW,
    RunLength) are measured without decoding and end the count (what follows them is at most as
    large, up to a byte a row for a predictor); the ASCII filters are decoded (no bigger than
    their input)."""
    data = stream.encoded_data
    for name, params in stream._filters():
        if name in _STOP:
            return len(data)
        if name in ("/FlateDecode", "/Fl"):
            return _flate_size(data, limit)
        if name in ("/LZWDecode", "/LZW"):
            early = params.get("/EarlyChange", 1) if isinstance(params, dict) else 1
            return _lzw_size(data, limit, 0 if early == 0 else 1)
        if name in ("/RunLengthDecode", "/RL"):
            return _run_length_size(data, limit)
        try:
            data = get_generic_decoder(name).decode(data, params or {})
        except Exception:  # noqa: BLE001 (an unknown filter: PDFium decides whether it reads it)
            return len(data)
    return len(data)


def _check_stream(stream: generic.StreamObject, budget: int) -> int:
    limit = MAX_STREAM_DECODED
    if stream.get("/Subtype") == "/Image":
        width, height = stream.get("/Width", 0), stream.get("/Height", 0)
        if not isinstance(width, int) or not isinstance(height, int) or width * height > MAX_IMAGE_PIXELS:
            raise _too_dense()
        limit = MAX_IMAGE_DECODED
    size = _decoded_size(stream, min(limit, budget))
    if size > limit or size > budget:
        raise _too_dense()
    return size


def _check_objects(data: bytes) -> None:
    """Every object of the file, as PDFium would read it: no active content, no stream that
    inflates past the limits. Streams are measured before anything decodes them."""
    try:
        # Offsets count from the header, as PDFium reads them when junk precedes it.
        reader = PdfFileReader(io.BytesIO(data[data.find(b"%PDF-"):]), strict=False)
        refs = set()
        for revision in range(reader.xrefs.total_revisions):
            refs |= reader.xrefs.explicit_refs_in_revision(revision)
        objects = [reader.get_object(ref) for ref in sorted(refs, key=lambda r: r.idnum)
                   if isinstance(reader.xrefs[ref], int)]  # stored objects first: object streams are measured
        budget = MAX_TOTAL_DECODED                         # before any of their objects is read
        for obj in objects:
            if isinstance(obj, generic.StreamObject):
                budget -= _check_stream(obj, budget)
        for ref in refs:
            if not isinstance(reader.xrefs[ref], int):
                objects.append(reader.get_object(ref))
        for obj in [reader.trailer_view, *objects]:
            _check_active(obj)
    except DocumentRejected:
        raise
    except Exception as exc:  # noqa: BLE001 (what we cannot parse we cannot vouch for)
        logger.info("PDF structure not checkable: %r", exc)
        raise DocumentRejected("PDF文件结构无法校验，请重新生成后上传", code="document_unreadable") from exc


def inspect_pdf(data: bytes, *, max_bytes: int, max_pages: int) -> PdfFacts:
    if not data:
        raise DocumentRejected("文件为空", code="document_empty")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"文件超过大小上限 {max_bytes // (1024 * 1024)} MB", code="document_too_large"
        )
    # The PDF spec lets the header start anywhere in the first 1024 bytes (so it may end later).
    if data.find(b"%PDF-", 0, 1024 + len(b"%PDF-") - 1) == -1:
        raise DocumentRejected("文件不是PDF格式", code="document_not_pdf")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentRejected("PDF已加密，请上传未加密的文书", code="document_encrypted") from exc
        raise DocumentRejected("PDF文件已损坏，无法读取", code="document_unreadable") from exc
    try:
        if pdfium_raw.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            # Opens without a password but carries an owner password: a court document must not
            # restrict printing or copying by the recipient, and cannot be sealed unchanged.
            raise DocumentRejected("PDF已加密，请上传未加密的文书", code="document_encrypted")
        pages = len(pdf)
        if pages < 1:
            raise DocumentRejected("PDF没有任何页面", code="document_unreadable")
        if pages > max_pages:
            raise DocumentRejected(
                f"PDF共 {pages} 页，超过上限 {max_pages} 页", code="document_too_many_pages"
            )
        _check_objects(data)
        return PdfFacts(page_count=pages)
    finally:
        pdf.close()
