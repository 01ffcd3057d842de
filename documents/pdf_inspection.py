"""Deciding whether uploaded bytes are a PDF we can serve: by its bytes, not its name."""
from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from core.errors import AppError, PayloadTooLarge


class DocumentRejected(AppError):
    status = 422
    code = "document_rejected"


@dataclass(frozen=True)
class PdfFacts:
    page_count: int


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
        return PdfFacts(page_count=pages)
    finally:
        pdf.close()
