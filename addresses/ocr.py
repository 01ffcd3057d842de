"""Text of scanned pages (文字识别): pages without a text layer are rendered (PDFium) and read by an
OCR engine that runs offline. One interface, the Tesseract engine (Debian ``tesseract-ocr`` +
``tesseract-ocr-chi-sim`` through ``pytesseract``) and whatever a test passes in."""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from core.errors import AppError
from documents.page_images import page_texts, render_page

# A4 at about 200 dpi (render_page caps a page at four million pixels).
OCR_WIDTH = 1700


class OcrUnavailable(AppError):
    status = 503
    code = "ocr_unavailable"


class Ocr(Protocol):
    def read(self, image: Image.Image) -> str: ...


@dataclass(frozen=True)
class TesseractOcr:
    lang: str = "chi_sim"

    def read(self, image: Image.Image) -> str:
        import pytesseract

        try:
            # --psm 6: one uniform block of text, which is what a pleading's page is.
            return pytesseract.image_to_string(image.convert("L"), lang=self.lang, config="--psm 6")
        except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as exc:
            raise OcrUnavailable("文字识别组件不可用（需安装 tesseract-ocr 与 tesseract-ocr-chi-sim）") from exc


def pages_with_ocr(pdf: bytes, ocr: Ocr | None) -> tuple[list[str], set[int]]:
    """Every page's text, and the (1-based) numbers of the pages that were read by OCR."""
    texts = page_texts(pdf)
    read: set[int] = set()
    if ocr is None:
        return texts, read
    for number, text in enumerate(texts, start=1):
        if text.strip():
            continue
        image = Image.open(io.BytesIO(render_page(pdf, number, width=OCR_WIDTH)))
        # Tesseract puts spaces between Chinese characters; the text has none to keep.
        texts[number - 1] = "\n".join("".join(line.split()) for line in ocr.read(image).splitlines())
        read.add(number)
    return texts, read
