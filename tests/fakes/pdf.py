"""A one-page PDF, as a newspaper's page would come (reportlab)."""
from __future__ import annotations

import io


def one_page_pdf(label: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, f"page {label}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
