"""集中打印: one print-ready PDF for a batch of mail items, for the destination's print partner.

Per item, in envelope order: the 送达告知书 (court, 案号, the documents, a QR code and short link to
read them online, the court's phone), the documents themselves, and a paper 送达回证 carrying the
item's code as a Code 128 barcode and a QR code, so the returned card is matched by a scanner. The
sheets are printed duplex: every part starts on a front side, so a part with an odd page count is
followed by a blank page. A cover sheet (batch, destination, items, pages, sheets) goes first.

The forms of the whole batch are drawn on one reportlab canvas (the font subset is built once),
then interleaved with the documents by pypdf; a document used by several items (the recipients of
one service) is read once. Memory grows with the batch, which is why a batch holds at most
``MAX_ITEMS`` items (mail/batches.py splits a larger selection).

The font is the one receipts/layout.py embeds (Debian ``fonts-wqy-microhei``); it is registered
here again because mail/ sits below receipts/ and may not import it.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

import qrcode
from pypdf import PdfReader, PdfWriter
from qrcode.constants import ERROR_CORRECT_M
from reportlab.graphics.barcode import code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from documents.pdf_fonts import FONT, register_fonts
from documents.pdf_qr import draw_qr

BEIJING = ZoneInfo("Asia/Shanghai")
PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
MAX_ITEMS = 500
NOTICE_TITLE = "送达告知书"
CARD_TITLE = "送达回证（法院专递邮件回执）"
SIGNER_CHOICES = "□本人　□同住成年家属　□指定代收人　□诉讼代理人　□法定代理人　□单位收发室　□其他"


@dataclass(frozen=True)
class PrintDocument:
    title: str
    sha256: str


@dataclass(frozen=True)
class PrintItem:
    """What one envelope holds and what its forms say."""

    code: str
    court_name: str
    court_phone: str
    case_number: str
    cause: str
    recipient_name: str
    address: str
    read_link: str
    documents: tuple[PrintDocument, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Printed:
    pages: dict[str, int]    # item code → pages of its set, blanks included
    total_pages: int

    @property
    def sheets(self) -> int:
        return self.total_pages // 2


def render_batch(title: str, destination: str, items: Iterable[PrintItem], fetch: Callable[[str], bytes],
                 out: BinaryIO, *, now: datetime) -> Printed:
    """Write the batch's print PDF to ``out``; ``fetch`` gives a document's bytes by its sha256."""
    items = list(items)
    if len(items) > MAX_ITEMS:
        raise ValueError(f"a print batch holds at most {MAX_ITEMS} items")
    register_fonts()
    forms = PdfReader(io.BytesIO(_forms(items, now)))
    writer = PdfWriter()
    readers: dict[str, PdfReader] = {}
    pages: dict[str, int] = {}
    for index, item in enumerate(items):
        start = len(writer.pages)
        _add_part(writer, [forms.pages[2 * index]])
        for doc in item.documents:
            if doc.sha256 not in readers:
                readers[doc.sha256] = PdfReader(io.BytesIO(fetch(doc.sha256)))
            _add_part(writer, readers[doc.sha256].pages)
        _add_part(writer, [forms.pages[2 * index + 1]])
        pages[item.code] = len(writer.pages) - start
    total = len(writer.pages) + 2
    cover = PdfReader(io.BytesIO(_cover(title, destination, len(items), total, now)))
    writer.insert_page(cover.pages[0], 0)
    writer.insert_blank_page(PAGE_W, PAGE_H, 1)
    writer.write(out)
    return Printed(pages, total)


def _add_part(writer: PdfWriter, pages) -> None:
    """A part of a duplex set: its pages, and a blank back when their count is odd."""
    count = 0
    for page in pages:
        writer.add_page(page)
        count += 1
    if count % 2:
        writer.add_blank_page(PAGE_W, PAGE_H)


def _forms(items: list[PrintItem], now: datetime) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=FONT, pageCompression=1)
    for item in items:
        _notice(canvas, item, now)
        canvas.showPage()
        _card(canvas, item)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cover(title: str, destination: str, count: int, total: int, now: datetime) -> bytes:
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, initialFontName=FONT, pageCompression=1)
    c.setFont(FONT, 22)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 60 * mm, "法院专递集中打印批次")
    y = PAGE_H - 85 * mm
    for line in (f"批次：{title}", f"目的地：{destination}", f"邮件：{count} 件", f"页数：{total} 页（双面 {total // 2} 张，含空白页）",
                 f"生成时间：{now.astimezone(BEIJING):%Y-%m-%d %H:%M}", "请按顺序双面打印，每件从正面开始，逐件封装。"):
        c.setFont(FONT, 13)
        c.drawString(MARGIN + 10 * mm, y, line)
        y -= 10 * mm
    c.showPage()
    c.save()
    return buffer.getvalue()


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines, line, used = [], "", 0.0
    for char in text:
        w = pdfmetrics.stringWidth(char, FONT, size)
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0.0
        line += char
        used += w
    if line:
        lines.append(line)
    return lines or [""]


def _paragraph(c: Canvas, text: str, y: float, *, size: float = 11, x: float = MARGIN,
               width: float = PAGE_W - 2 * MARGIN, leading: float = 1.6) -> float:
    c.setFont(FONT, size)
    for line in _wrap(text, size, width):
        c.drawString(x, y, line)
        y -= size * leading
    return y


def _qr(c: Canvas, value: str, x: float, y: float, size: float, quiet: int = 4) -> None:
    """A vector QR code in the square (x, y, size), quiet zone included, with a fixed mask pattern
    (any is valid for readers; choosing none costs eight trial encodings per code)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(value)
    code.make(fit=True)
    draw_qr(c, code.get_matrix(), x, y, size, quiet)


def _notice(c: Canvas, item: PrintItem, now: datetime) -> None:
    c.setFont(FONT, 18)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 30 * mm, item.court_name)
    c.setFont(FONT, 20)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 42 * mm, NOTICE_TITLE)
    y = PAGE_H - 58 * mm
    y = _paragraph(c, f"案号：{item.case_number}", y)
    if item.cause:
        y = _paragraph(c, f"案由：{item.cause}", y)
    y = _paragraph(c, f"受送达人：{item.recipient_name}", y)
    y = _paragraph(c, f"送达地址：{item.address}", y)
    y -= 4
    y = _paragraph(c, "本院依法向您邮寄送达下列诉讼文书，请查收：", y)
    for number, doc in enumerate(item.documents, 1):
        y = _paragraph(c, f"{number}. {doc.title}", y, x=MARGIN + 8 * mm, width=PAGE_W - 2 * MARGIN - 8 * mm)
    y -= 4
    y = _paragraph(c, "请在所附送达回证上签名（或盖章、捺印），注明收件日期，交投递员带回本院。"
                      "签收人不是受送达人本人的，请注明与受送达人的关系。您也可以扫描下方二维码或访问下列网址，在线阅读上述文书。", y)
    qr_size = 36 * mm
    _qr(c, item.read_link, MARGIN, y - qr_size - 4 * mm, qr_size)
    _paragraph(c, f"在线阅读：{item.read_link}", y - 10 * mm, size=10, x=MARGIN + qr_size + 6 * mm,
               width=PAGE_W - 2 * MARGIN - qr_size - 6 * mm)
    _paragraph(c, f"联系电话：{item.court_phone or '—'}", y - 24 * mm, size=10, x=MARGIN + qr_size + 6 * mm)
    c.setFont(FONT, 11)
    c.drawRightString(PAGE_W - MARGIN, 40 * mm, item.court_name)
    c.drawRightString(PAGE_W - MARGIN, 33 * mm, f"{now.astimezone(BEIJING):%Y年%m月%d日}")
    c.setFont(FONT, 8)
    c.drawString(MARGIN, 15 * mm, f"邮件编号 {item.code}")


def _card(c: Canvas, item: PrintItem) -> None:
    c.setFont(FONT, 18)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 28 * mm, item.court_name)
    c.setFont(FONT, 18)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 40 * mm, CARD_TITLE)
    barcode = code128.Code128(item.code, barHeight=14 * mm, barWidth=0.42 * mm, quiet=True)
    barcode.drawOn(c, MARGIN, PAGE_H - 62 * mm)
    c.setFont(FONT, 10)
    c.drawString(MARGIN + 4 * mm, PAGE_H - 67 * mm, item.code)
    _qr(c, item.code, PAGE_W - MARGIN - 30 * mm, PAGE_H - 72 * mm, 30 * mm)
    rows = [("案号", item.case_number), ("案由", item.cause or "—"), ("受送达人", item.recipient_name),
            ("送达地址", item.address), ("送达文书", "；".join(d.title for d in item.documents)),
            ("收件日期", "　　　　年　　月　　日"), ("签收人（签名、盖章或捺印）", ""),
            ("签收人与受送达人关系", SIGNER_CHOICES), ("投递员", ""), ("备注（拒收、退回原因）", "")]
    top, label_w, width = PAGE_H - 80 * mm, 50 * mm, PAGE_W - 2 * MARGIN
    c.setLineWidth(0.6)
    y = top
    for name, value in rows:
        lines = _wrap(value, 10.5, width - label_w - 6 * mm)
        height = max(14 * mm, (len(lines) * 15) + 10)
        c.rect(MARGIN, y - height, width, height)
        c.line(MARGIN + label_w, y, MARGIN + label_w, y - height)
        _paragraph(c, name, y - 8 * mm, size=10.5, x=MARGIN + 2 * mm, width=label_w - 4 * mm, leading=1.4)
        ty = y - 8 * mm
        for line in lines:
            c.setFont(FONT, 10.5)
            c.drawString(MARGIN + label_w + 3 * mm, ty, line)
            ty -= 15
        y -= height
    c.setFont(FONT, 9)
    c.drawString(MARGIN, y - 8 * mm, "依据：《中华人民共和国民事诉讼法》第九十一条；《最高人民法院关于以法院专递方式邮寄送达民事诉讼文书的若干规定》。")
