"""Page rendering for the portal: PDFium to PNG, about 1600 px wide, cached by SHA-256."""
from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from documents.page_images import TARGET_WIDTH, cache_path, cached_or_render, page_png, render_page
from tests.factories import SAMPLE_PDF


def test_render_page_is_a_png_about_1000px_wide():
    png = render_page(SAMPLE_PDF.read_bytes(), 1)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert abs(image.width - TARGET_WIDTH) <= 2
        assert image.height > image.width  # a portrait court document


def test_out_of_range_page_raises_index_error():
    with pytest.raises(IndexError):
        render_page(SAMPLE_PDF.read_bytes(), 0)
    with pytest.raises(IndexError):
        render_page(SAMPLE_PDF.read_bytes(), 10_000)


async def test_cache_is_written_once_and_reused(tmp_path):
    pdf = SAMPLE_PDF.read_bytes()
    sha = hashlib.sha256(pdf).hexdigest()
    loads = []

    def load() -> bytes:
        loads.append(1)
        return pdf

    first = await page_png(tmp_path, sha, 1, load)
    second = cached_or_render(tmp_path, sha, 1, load)
    assert first == second and len(loads) == 1
    assert cache_path(tmp_path, sha, 1).read_bytes() == first
    assert not [p for p in (tmp_path / sha).iterdir() if p.name.endswith(".tmp")]


def test_render_of_an_extreme_page_is_bounded_in_pixels():
    from documents.page_images import MAX_PIXELS
    from tests.documents.raw_pdf import raw_pdf

    png = render_page(raw_pdf(media_box=b"[0 0 500 5000]"), 1)  # 1000 px wide would be 10 Mpx
    with Image.open(io.BytesIO(png)) as image:
        assert image.width * image.height <= MAX_PIXELS
        assert image.height > 5 * image.width


def test_the_text_layer_of_each_page_is_read():
    from documents.page_images import page_texts
    from tests.factories import SAMPLE_PDF

    (text,) = page_texts(SAMPLE_PDF.read_bytes())
    assert "传 票" in text and "案由：民间借贷纠纷" in text and "\r" not in text
