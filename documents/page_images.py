"""Document pages as PNG images (文书页面图片), rendered with PDFium and cached on disk.

Litigants read on old phones inside WeChat, where an embedded PDF viewer is unreliable, so every
page is served as an image about 1600 px wide: enough that a phone at device scale 3 can zoom a
page until its body text is 16 CSS px or more and still see it sharp. The text layer, where the
PDF has one, is served beside the image for screen readers and the 文字版. The cache is keyed by the document's SHA-256, so
two services sharing one PDF share its images, and a replaced file can never show stale pages.
"""
from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from pathlib import Path

import pypdfium2 as pdfium

TARGET_WIDTH = 1600
MAX_SCALE = 4.0
# The bitmap of one page: about an A4 page 1600 px wide, and some. A page of extreme proportions
# (a strip a few points wide and metres long) is scaled down to fit rather than allocated.
MAX_PIXELS = 4_000_000
# PDFium is not thread-safe: one render at a time per process.
_PDFIUM_LOCK = threading.Lock()


def render_page(pdf: bytes, page_number: int, *, width: int = TARGET_WIDTH) -> bytes:
    """PNG of page ``page_number`` (1-based), scaled so its width is about ``width`` pixels."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= page_number <= len(document):
                raise IndexError(f"page {page_number} out of range")
            page = document[page_number - 1]
            try:
                page_w, page_h = max(page.get_width(), 1.0), max(page.get_height(), 1.0)
                scale = min(MAX_SCALE, width / page_w, (MAX_PIXELS / ((page_w + 1) * (page_h + 1))) ** 0.5)  # +1: rounding up
                bitmap = page.render(scale=scale)
                image = bitmap.to_pil()
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def cache_path(cache_dir: Path, sha256: str, page_number: int) -> Path:
    # The width is in the name: a change of resolution never serves an image cached before it.
    return cache_dir / sha256 / f"{page_number}-w{TARGET_WIDTH}.png"


def page_texts(pdf: bytes) -> list[str]:
    """The text layer of every page ("" for a scanned page without one), lines kept."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            texts = []
            for index in range(len(document)):
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        raw = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                texts.append("\n".join(line.strip() for line in raw.replace("\r\n", "\n").split("\n")).strip())
        finally:
            document.close()
    return texts


def _cached_texts(cache_dir: Path, sha256: str, load_pdf) -> list[str]:
    path = cache_dir / sha256 / "text.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    texts = page_texts(load_pdf())
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".text.{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)
    return texts


async def document_texts(cache_dir: Path, sha256: str, load_pdf) -> list[str]:
    """``page_texts`` cached beside the page images, off the event loop."""
    return await asyncio.to_thread(_cached_texts, cache_dir, sha256, load_pdf)


_RENDERING: dict[Path, threading.Lock] = {}
_RENDERING_GUARD = threading.Lock()


def cached_or_render(cache_dir: Path, sha256: str, page_number: int, load_pdf) -> bytes:
    """The cached PNG, or render it (``load_pdf()`` gives the PDF bytes) and cache it.

    Written to a temporary file and renamed, so a concurrent reader never sees half a PNG. Within
    a process one render per page at a time: when a court serves one PDF on hundreds of people and
    they open it together, the others wait for the first render instead of each doing it.
    """
    path = cache_path(cache_dir, sha256, page_number)
    if path.exists():
        return path.read_bytes()
    with _RENDERING_GUARD:
        lock = _RENDERING.setdefault(path, threading.Lock())
    with lock:
        try:
            if path.exists():
                return path.read_bytes()
            return _render_to_cache(path, load_pdf, page_number)
        finally:
            with _RENDERING_GUARD:
                _RENDERING.pop(path, None)


def _render_to_cache(path: Path, load_pdf, page_number: int) -> bytes:
    png = render_page(load_pdf(), page_number)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{page_number}.{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_bytes(png)
    os.replace(temp, path)
    return png


async def page_png(cache_dir: Path, sha256: str, page_number: int, load_pdf) -> bytes:
    """``cached_or_render`` off the event loop: rendering takes tens of milliseconds per page."""
    return await asyncio.to_thread(cached_or_render, cache_dir, sha256, page_number, load_pdf)
