"""addresses/ocr.py: scanned pages (no text layer) read by an offline OCR engine."""
from __future__ import annotations

import shutil

import pytest

from addresses.extraction import OCR_FACTOR, extract_from_pdf
from addresses.ocr import OcrUnavailable, TesseractOcr, pages_with_ocr
from tests.addresses.corpus import corpus, measure, render_pdf, render_scan


class FakeOcr:
    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def read(self, image) -> str:
        self.calls += 1
        assert image.width > 1000  # rendered for reading, not a thumbnail
        return self.text


def test_only_pages_without_a_text_layer_are_read():
    ocr = FakeOcr("被告：李四，户籍地 广西 北海市 海城区 北部湾中路3号。")
    texts, read = pages_with_ocr(render_pdf(["原告：张三，住广西柳州市城中区示范路1号。"]), ocr)
    assert ocr.calls == 0 and read == set()
    [candidate] = extract_from_pdf(render_scan(["任意"]), ocr)
    assert ocr.calls == 1
    assert (candidate.person, candidate.value) == ("李四", "广西北海市海城区北部湾中路3号")
    assert candidate.confidence == round(0.95 * OCR_FACTOR, 2)


def test_without_an_engine_a_scan_yields_nothing():
    assert extract_from_pdf(render_scan(["原告：张三，住广西柳州市城中区示范路1号。"])) == []


def test_a_missing_engine_is_a_clear_503(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OcrUnavailable) as caught:
        extract_from_pdf(render_scan(["原告：张三。"]), TesseractOcr())
    assert caught.value.status == 503 and "tesseract-ocr" in caught.value.message


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Debian tesseract-ocr not installed (./dev installs it)")
def test_tesseract_reads_scanned_pleadings_and_contracts():
    # Four scanned documents (about a second a page); the full set is measured in docs/ADDRESSES.md.
    figures = measure(corpus()[:4], scanned=True, ocr=TesseractOcr())
    assert figures["precision"] >= 0.5 and figures["near_recall"] >= 0.7
