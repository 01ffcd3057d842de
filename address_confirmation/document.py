"""The 送达地址确认书 as a PDF (reportlab), sealed with the court's seal the way receipts are
(receipts/seal.py, PAdES, the seal's appearance beside the signature), with a QR code to its
public check ``/verify/confirmation/<no>``."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from address_confirmation.form import NOTICE, NOTICE_ACCEPTED
from documents.pdf_fonts import FONT, register_fonts
from documents.pdf_qr import draw_qr
from receipts.layout import TextStyle, beijing_time, qr_matrix, signature_image, wrap
from receipts.seal import Sealer, SealPlacement

WIDTH, HEIGHT = A4
MARGIN = 56
BODY = TextStyle(size=10.5, leading=16)
SMALL = TextStyle(size=8, leading=11)
SEAL_SIZE = 110
QR_SIZE = 72


@dataclass(frozen=True)
class ConfirmationSheet:
    confirmation_no: str
    court_name: str
    case_number: str
    recipient_name: str
    id_number_masked: str
    postal: str
    electronic: tuple[tuple[str, str], ...]   # (label, value), in the form's order
    signature_png: bytes
    signed_at: datetime
    identity_line: str
    verify_url: str
    test_certificate: bool = False


@dataclass(frozen=True)
class RenderedSheet:
    pdf: bytes
    pages: int
    seal: SealPlacement


class _Writer:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4)
        self.y = HEIGHT - MARGIN
        self.pages = 1

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.c.showPage()
            self.pages += 1
            self.y = HEIGHT - MARGIN

    def text(self, text: str, style: TextStyle = BODY, indent: float = 0) -> None:
        for line in wrap(text, style, WIDTH - 2 * MARGIN - indent) or [""]:
            self.need(style.leading)
            self.c.setFont(style.font, style.size)
            self.c.drawString(MARGIN + indent, self.y - style.size, line)
            self.y -= style.leading


def render_sheet(sheet: ConfirmationSheet) -> RenderedSheet:
    register_fonts()
    w = _Writer()
    c = w.c
    c.setTitle(f"送达地址确认书 {sheet.confirmation_no}")
    c.setFont(FONT, 12)
    c.drawCentredString(WIDTH / 2, w.y - 12, sheet.court_name)
    c.setFont(FONT, 20)
    c.drawCentredString(WIDTH / 2, w.y - 40, "送达地址确认书")
    w.y -= 56
    if sheet.test_certificate:
        w.text("（测试证书签章，仅供演示，不具有法律效力）", SMALL)
    w.text(f"编号：{sheet.confirmation_no}", SMALL)
    w.y -= 6
    for label, value in (("案号", sheet.case_number), ("受送达人", sheet.recipient_name),
                         ("证件号码", sheet.id_number_masked or "（未登记）"),
                         ("送达地址（邮寄）", sheet.postal), *sheet.electronic):
        w.text(f"{label}：{value}")
    w.y -= 8
    w.text("告知事项：")
    for item in NOTICE:
        w.text(item, SMALL, indent=12)
    w.y -= 8
    w.text(f"受送达人确认：{NOTICE_ACCEPTED}")
    w.text(f"确认时间：{beijing_time(sheet.signed_at)}")
    w.text(f"身份核验：{sheet.identity_line}")
    # Signature, seal and QR code on one band: the seal's appearance is the sealing signature's.
    band = max(SEAL_SIZE, QR_SIZE) + 24
    w.need(band)
    top = w.y
    c.setFont(FONT, BODY.size)
    c.drawString(MARGIN, top - BODY.size, "受送达人签名：")
    image = signature_image(sheet.signature_png)
    scale = min(150 / image.width, 60 / image.height)
    c.drawImage(ImageReader(image), MARGIN + 80, top - 70, image.width * scale, image.height * scale)
    seal_x = WIDTH - MARGIN - SEAL_SIZE - QR_SIZE - 24
    seal_box = (int(seal_x), int(top - SEAL_SIZE - 4), int(seal_x + SEAL_SIZE), int(top - 4))
    draw_qr(c, qr_matrix(sheet.verify_url), WIDTH - MARGIN - QR_SIZE, top - QR_SIZE - 4, QR_SIZE)
    w.y = top - band
    w.text(f"扫码或访问 {sheet.verify_url} 核验本确认书", SMALL)
    c.showPage()
    c.save()
    return RenderedSheet(w.buffer.getvalue(), w.pages, SealPlacement(w.pages - 1, seal_box, sheet.court_name))


def sealed_sheet(sheet: ConfirmationSheet, sealer: Sealer) -> tuple[bytes, int]:
    """The PDF sealed (CPU work: callers run it in a thread) and its page count."""
    rendered = render_sheet(sheet)
    return sealer.seal(rendered.pdf, location=sheet.court_name, visible=rendered.seal), rendered.pages
