"""Draw one 电子送达凭证（送达回证） as an A4 PDF, laid out like the paper court form.

The CJK font is WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``), embedded as a subset so the
archived receipt reads the same everywhere: STSong-Light is not embedded, and noto-cjk's
PostScript outlines are not supported by reportlab ("postscript outlines are not supported"). The
sheet uses no font it does not embed. Digests are set in the same face, whose digits are tabular:
the file's Mono face would add a third font subset (docs/PERFORMANCE.md).

Every signed delivery renders one, so speed matters. The form is a fixed grid, so it is drawn
straight onto a reportlab canvas (a small row/section engine below) rather than through
platypus, whose CJK paragraph wrapping and nested tables cost more than the rest of a render
(docs/PERFORMANCE.md); fonts are parsed
once per process; rules and QR modules are written as raw path operators.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import qrcode
from PIL import Image as PILImage
from PIL import ImageChops
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from documents.pdf_fonts import FONT, register_fonts
from documents.pdf_qr import draw_qr
from receipts.data import ReceiptData

BEIJING = ZoneInfo("Asia/Shanghai")
TITLE = "电子送达凭证（送达回证）"
TEST_BANNER = "测试证书 · 仅供测试，不具法律效力"
NONE_TEXT = "—"

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
BODY_W = PAGE_W - 2 * MARGIN
HEADING_W = 20 * mm               # the section column on the left of the form
INNER_W = BODY_W - HEADING_W
LABEL_W = 27 * mm
PAD_X, PAD_Y = 4.0, 3.0
SIGNATURE_BOX = (70 * mm, 22 * mm)
QR_SIZE = 28 * mm
SEAL_SIZE = 30 * mm               # the court seal's appearance at 送达人 (receipts/seal_image.py)
SIGNATURE_DPI = 200
# RGB fill/stroke operators, written raw
GREY_BG = "0.937 0.937 0.937 rg"
RULE = "0.267 0.267 0.267 RG 0.6 w"
RED = (0.753, 0, 0)
PAGE_COUNT_FORM = "PageCount"

# Binary (Flate-only) streams instead of ASCII85 + Flate: smaller files, and without the optional
# rl-accel C extension the pure-Python ASCII85 encoder is a large share of a render. Process-wide, because
# reportlab reads it from rl_config at several points of one build; both forms are valid PDF.
rl_config.useA85 = 0


@dataclass(frozen=True)
class TextStyle:
    font: str = FONT
    size: float = 9
    leading: float = 12

    def width(self, text: str) -> float:
        widths = pdfmetrics.getFont(self.font).face.charWidths
        return sum(widths.get(ord(ch), 1000.0) for ch in text) * self.size / 1000


BODY = TextStyle()
SMALL = TextStyle(size=7.5, leading=10)
HASH = TextStyle(FONT, 6.5, 8)


def beijing_time(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS（北京时间）``; naive values are UTC, as the database stores them."""
    if value is None:
        return NONE_TEXT
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"


# Chinese line-breaking rule (禁则): these never start a line; they hang at the end of the previous.
_NO_LINE_START = frozenset("，。、；：？！）》」』”’〉】,.;:?!)]}%·…")


def wrap(text: str, style: TextStyle, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: anywhere between CJK characters, at
    spaces between Latin words, and inside a Latin word (a URL) only when it alone is too wide."""
    widths = pdfmetrics.getFont(style.font).face.charWidths
    limit = width * 1000 / style.size
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for token in _tokens(paragraph):
            w = sum(widths.get(ord(ch), 1000.0) for ch in token)
            if used + w <= limit or not line.strip() and w <= limit or token in _NO_LINE_START:
                line, used = line + token, used + w
                continue
            if line.strip():
                lines.append(line.rstrip())
            line, used = ("", 0.0) if token == " " else (token, w)
            while used > limit:  # one word wider than the cell: cut it
                cut, acc = 0, 0.0
                while acc + widths.get(ord(line[cut]), 1000.0) <= limit or cut == 0:
                    acc += widths.get(ord(line[cut]), 1000.0)
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
                used -= acc
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Printable ASCII runs stay whole (words, numbers, URLs); every other character stands alone."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if "!" <= ch <= "~":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


Painter = Callable[[Canvas, float, float, float, float], None]  # canvas, x, y_bottom, w, h


@dataclass
class Cell:
    """One box of the form: text lines (wrapped to the width) or a painter for an image / QR."""

    width: float
    text: str | Sequence[str] = ""
    label: bool = False
    style: TextStyle = BODY
    align: str = "left"
    painter: Painter | None = None
    content_height: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.text, str):
            self.lines = wrap(self.text, self.style, self.width - 2 * PAD_X) if self.text else [""]
        else:
            self.lines = list(self.text)
        if self.painter is None:
            self.content_height = len(self.lines) * self.style.leading

    @property
    def height(self) -> float:
        return self.content_height + 2 * PAD_Y


def label(text: str, width: float = LABEL_W) -> Cell:
    return Cell(width, text, label=True)


@dataclass(frozen=True)
class RenderedReceipt:
    """The unsealed PDF and where its seal goes: ``seal_page`` (0-based) and ``seal_box`` in PDF
    points (x1, y1, x2, y2), the space kept for it in the 送达人 row."""

    pdf: bytes
    seal_page: int
    seal_box: tuple[int, int, int, int]


class Sheet:
    """Places sections of rows down the page, starting a new page when a row would not fit."""

    def __init__(self, canvas: Canvas, data: ReceiptData, title: str = TITLE) -> None:
        self.c = canvas
        self.data = data
        self.title = title  # repeated at the top of each continued page
        self.seal_spot: tuple[int, tuple[int, int, int, int]] | None = None
        self.page = 1
        self.y = PAGE_H - MARGIN
        self.bottom = MARGIN + 8 * mm  # room for the footer
        self.page_top = self.y

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN
        self.text_line(f"{self.data.case_number}  {self.title}（续）", SMALL)
        self.y -= 2 * mm
        self.page_top = self.y

    def footer(self) -> None:
        c = self.c
        c.setFont(FONT, 7.5)
        c.setFillGray(0.45)
        c.drawString(MARGIN, MARGIN, f"凭证编号 {self.data.receipt_no}")
        c.drawRightString(PAGE_W - MARGIN - 11 * mm, MARGIN, f"第 {self.page} 页")
        c.doForm(PAGE_COUNT_FORM)  # "共 N 页", defined once the last page is known
        if self.data.test_certificate:
            c.setFillColorRGB(*RED)
            c.drawCentredString(PAGE_W / 2, MARGIN, TEST_BANNER)
        c.setFillGray(0)

    def finish(self) -> None:
        self.footer()
        self.c.showPage()
        c = self.c
        c.beginForm(PAGE_COUNT_FORM)
        c.setFont(FONT, 7.5)
        c.setFillGray(0.45)
        c.drawRightString(PAGE_W - MARGIN, MARGIN, f"共 {self.page} 页")
        c.endForm()

    def text_line(self, text: str, style: TextStyle, align: str = "left", height: float = 0) -> None:
        height = height or style.leading
        baseline = self.y - height / 2 - style.size * 0.35
        self.c.setFont(style.font, style.size)
        if align == "center":
            self.c.drawCentredString(PAGE_W / 2, baseline, text)
        elif align == "right":
            self.c.drawRightString(PAGE_W - MARGIN, baseline, text)
        else:
            self.c.drawString(MARGIN, baseline, text)
        self.y -= height

    def banner(self, text: str) -> None:
        h = 8 * mm
        self.c.setFillColorRGB(*RED)
        self.c.rect(MARGIN, self.y - h, BODY_W, h, stroke=0, fill=1)
        self.c.setFillGray(1)
        self.text_line(text, TextStyle(size=12, leading=16), "center", h)
        self.c.setFillGray(0)
        self.y -= 3 * mm

    def section(self, heading: str, rows: Sequence[Sequence[Cell]], *, header_rows: int = 0) -> None:
        """A labelled block: the heading in the left column spans its rows, as on the paper form.
        Split across pages between rows; the heading and header rows repeat on the continuation."""
        heading_lines = wrap(heading, BODY, HEADING_W - 2 * PAD_X)
        heading_h = len(heading_lines) * BODY.leading + 2 * PAD_Y
        head = [(row, max(cell.height for cell in row)) for row in rows[:header_rows]]
        pending = list(head)
        for row in rows[header_rows:]:
            h = max(cell.height for cell in row)
            needed = max(sum(p[1] for p in pending) + h, heading_h)
            if self.y - needed < self.bottom and self.y < self.page_top:  # a fresh page takes anything
                if len(pending) > len(head):
                    self._flush(heading_lines, pending)
                self.new_page()
                pending = list(head)
            pending.append((row, h))
        self._flush(heading_lines, pending)

    def _flush(self, heading_lines: list[str], rows: list[tuple[Sequence[Cell], float]]) -> None:
        total = max(sum(h for _, h in rows), len(heading_lines) * BODY.leading + 2 * PAD_Y)
        top = self.y
        fills, strokes = [], [f"{MARGIN:.2f} {top - total:.2f} {HEADING_W:.2f} {total:.2f} re"]
        fills.append(strokes[0])
        texts: list[tuple[Cell, float, float, float]] = []
        y = top
        for index, (row, h) in enumerate(rows):
            if index == len(rows) - 1:
                h = y - (top - total)  # the last row takes any slack left by a tall heading
            x = MARGIN + HEADING_W
            for cell in row:
                box = f"{x:.2f} {y - h:.2f} {cell.width:.2f} {h:.2f} re"
                strokes.append(box)
                if cell.label:
                    fills.append(box)
                texts.append((cell, x, y - h, h))
                x += cell.width
            y -= h
        self.c.addLiteral(f"q {GREY_BG} {' '.join(fills)} f {RULE} {' '.join(strokes)} S Q")
        self._lines(heading_lines, BODY, MARGIN, top - total, HEADING_W, total, "center")
        for cell, x, y0, h in texts:
            if cell.painter is not None:
                cell.painter(self.c, x + PAD_X, y0 + PAD_Y, cell.width - 2 * PAD_X, h - 2 * PAD_Y)
            else:
                self._lines(cell.lines, cell.style, x, y0, cell.width, h, cell.align)
        self.y = top - total

    def _lines(self, lines: Sequence[str], style: TextStyle, x: float, y0: float, w: float, h: float,
               align: str) -> None:
        """Text block centred vertically in the box (x, y0, w, h), as one text object."""
        text = self.c.beginText()
        text.setFont(style.font, style.size, style.leading)
        first = y0 + h / 2 + len(lines) * style.leading / 2 - style.leading / 2 - style.size * 0.35
        for i, line in enumerate(lines):
            if align == "center":
                left = x + (w - style.width(line)) / 2
            elif align == "right":
                left = x + w - PAD_X - style.width(line)
            else:
                left = x + PAD_X
            text.setTextOrigin(left, first - i * style.leading)
            text.textOut(line)
        self.c.drawText(text)


def render_receipt(data: ReceiptData) -> bytes:
    """The receipt as PDF bytes (unsealed: :class:`receipts.seal.Sealer` seals it)."""
    return render_receipt_placed(data).pdf


def render_receipt_placed(data: ReceiptData) -> RenderedReceipt:
    """The receipt and the place kept for its seal's appearance."""
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, initialFontName=FONT, pageCompression=1)
    canvas.setTitle(TITLE)
    canvas.setAuthor(data.court_name)
    canvas.setSubject(f"{data.case_number} {data.receipt_no}")
    canvas.setCreator("电子送达平台")
    sheet = Sheet(canvas, data)
    _draw(sheet, data)
    sheet.finish()
    canvas.save()
    assert sheet.seal_spot is not None  # the 送达人 row is always drawn
    return RenderedReceipt(out.getvalue(), *sheet.seal_spot)


def _draw(sheet: Sheet, data: ReceiptData) -> None:
    if data.test_certificate:
        sheet.banner(TEST_BANNER)
    sheet.text_line(data.court_name, TextStyle(size=15, leading=21), "center")
    sheet.text_line(TITLE, TextStyle(size=19, leading=27), "center")
    sheet.text_line(f"凭证编号：{data.receipt_no}", BODY, "right", 16)
    half = (INNER_W - 2 * LABEL_W) / 2

    def pair(l1: str, v1: str, l2: str, v2: str) -> list[Cell]:
        return [label(l1), Cell(half, v1), label(l2), Cell(half, v2)]

    def line(name: str, value: str) -> list[Cell]:
        return [label(name), Cell(INNER_W - LABEL_W, value or NONE_TEXT)]

    sheet.section("案件", [pair("案号", data.case_number, "案由", data.cause or NONE_TEXT)])
    sheet.section("受送达人", [
        pair("姓名/名称", data.recipient_name, "诉讼地位", data.recipient_role or NONE_TEXT),
        line("证件号码", data.recipient_id_masked or ""),
    ])
    sheet.section("送达文书", _document_rows(data), header_rows=1)
    sheet.section("送达方式", [
        line("送达方式", data.channel_label),
        line("电子送达地址", data.electronic_address_masked),
        line("电子送达依据", data.consent_label),
    ])
    times = [(name, beijing_time(at)) for name, at in data.times] or [("", NONE_TEXT)]
    if len(times) % 2:
        times.append(("", ""))
    sheet.section("送达过程",
                  [pair(*times[i], *times[i + 1]) for i in range(0, len(times), 2)])
    sheet.section("身份与设备", [
        line("身份验证", data.identity_proof), line("IP 地址", data.ip), line("设备", data.device),
    ])
    sheet.section("签收", [
        [label("受送达人签名"), _signature_cell(data.signature_png, INNER_W - LABEL_W)],
        _served_by_row(sheet, data),
    ])
    sheet.section("法律效力", [
        line("法律依据", data.effect_rule),
        line("说明", data.effect_reason),
        *([line("生效渠道", data.effect_channel.label)] if data.effect_channel else []),
        line("生效时间", beijing_time(data.effective_at) if data.effective_at else "尚未生效"),
    ])
    verify_section(sheet, data.verify_url)


def verify_section(sheet: Sheet, url: str) -> None:
    """核验: the QR code to the public verify page and its address, on every receipt the platform
    seals (electronic and in person alike)."""
    qr_w = QR_SIZE + 2 * PAD_X
    text_w = INNER_W - qr_w - 2 * PAD_X
    sheet.section("核验", [[
        Cell(qr_w, painter=_qr_painter(url), content_height=QR_SIZE),
        Cell(INNER_W - qr_w, [
            *wrap("使用手机扫描二维码，或在浏览器中打开下列地址，核对本凭证的内容与电子印章：", BODY, text_w),
            *wrap(url, BODY, text_w),
            *wrap("本凭证由人民法院电子送达平台生成并加盖电子印章；对文件的任何改动都会使印章验证失败。",
                  BODY, text_w),
        ]),
    ]])


def _served_by_row(sheet: Sheet, data: ReceiptData) -> list[Cell]:
    """送达人 with the court's phone, and the square where the seal's appearance is placed: at the
    row's right end, rising over the empty right side of the signature row above, as a clerk
    stamps a paper form (so the receipt keeps its length)."""
    seal_w = SEAL_SIZE + 2 * PAD_X
    text_w = INNER_W - LABEL_W - seal_w
    lines = [*wrap(data.served_by, BODY, text_w - 2 * PAD_X)]
    if data.court_phone:
        lines += wrap(f"法院电话：{data.court_phone}", BODY, text_w - 2 * PAD_X)

    def keep_for_seal(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        bottom = y - PAD_Y + 1 * mm
        sheet.seal_spot = (sheet.page - 1, (round(x), round(bottom), round(x + SEAL_SIZE), round(bottom + SEAL_SIZE)))

    return [label("送达人"), Cell(text_w, lines), Cell(seal_w, painter=keep_for_seal)]


def _document_rows(data: ReceiptData) -> list[list[Cell]]:
    hash_w = HASH.width("b" * 32) + 2 * PAD_X + 1  # b and d are the widest hex digits
    widths = [11 * mm, 0.0, 20 * mm, 11 * mm, hash_w]
    widths[1] = INNER_W - sum(widths)
    rows = [[Cell(w, t, label=True, align="center" if i != 1 else "left")
             for i, (w, t) in enumerate(zip(widths, ["序号", "文书名称", "文书类型", "页数", "SHA-256 摘要"]))]]
    for n, document in enumerate(data.documents, 1):
        digest = document.sha256.lower()
        rows.append([
            Cell(widths[0], str(n), align="center"), Cell(widths[1], document.title),
            Cell(widths[2], document.kind_label), Cell(widths[3], str(document.pages), align="center"),
            Cell(widths[4], [digest[:32], digest[32:]], style=HASH),
        ])
    return rows


def _signature_cell(png: bytes | None, width: float) -> Cell:
    if not png:
        return Cell(width, "无")
    image = signature_image(png)
    box_w, box_h = SIGNATURE_BOX
    scale = min(box_w / image.width, box_h / image.height)
    w, h = image.width * scale, image.height * scale
    reader = ImageReader(image)

    def paint(c: Canvas, x: float, y: float, cell_w: float, cell_h: float) -> None:
        c.drawImage(reader, x, y + (cell_h - h) / 2, w, h)

    return Cell(width, painter=paint, content_height=box_h)


def signature_image(png: bytes) -> PILImage.Image:
    """The handwritten signature as printed: on white, cropped to the ink, at most
    SIGNATURE_DPI in its box, greyscale when it has no colour. Raises on bytes that are not an
    image (a receipt never shows an empty box where a signature was given).

    The stored PNG stays the evidence; this is its picture on the sheet. Flate-compressing a
    phone's full-size RGB canvas was most of a render's time."""
    with PILImage.open(io.BytesIO(png)) as source:
        source.load()
        image = source.convert("RGBA") if "A" in source.getbands() or "transparency" in source.info \
            else source.convert("RGB")
    if image.mode == "RGBA":
        alpha = image.getchannel("A")
        ink = alpha.getbbox()
        if ink:
            image, alpha = image.crop(_grow(ink, image.size)), alpha.crop(_grow(ink, image.size))
        sheet = PILImage.new("RGB", image.size, "white")
        sheet.paste(image, mask=alpha)
    else:
        sheet = image
        ink = ImageChops.invert(sheet.convert("L")).getbbox()
        if ink:
            sheet = sheet.crop(_grow(ink, sheet.size))
    red, green, blue = sheet.split()
    if ImageChops.difference(red, green).getbbox() is None and ImageChops.difference(green, blue).getbbox() is None:
        sheet = red  # R = G = B everywhere: one channel carries it all (and resizes 3× faster)
    box_w, box_h = (side / 72 * SIGNATURE_DPI for side in SIGNATURE_BOX)
    scale = min(box_w / sheet.width, box_h / sheet.height)
    if scale < 0.75:  # near the target already: resampling would cost more than it saves
        size = (max(round(sheet.width * scale), 1), max(round(sheet.height * scale), 1))
        sheet = sheet.resize(size, PILImage.Resampling.BOX)  # area-average: clean strokes, fast
    return sheet


def _grow(box: tuple[int, int, int, int], size: tuple[int, int], margin: int = 4) -> tuple[int, int, int, int]:
    return (max(box[0] - margin, 0), max(box[1] - margin, 0),
            min(box[2] + margin, size[0]), min(box[3] + margin, size[1]))


def qr_matrix(url: str) -> list[list[bool]]:
    """The module matrix from the ``qrcode`` library. A fixed mask pattern: any of the eight is
    valid for readers, and qrcode's search for the best one costs a noticeable share of a render."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=2)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def _qr_painter(url: str) -> Painter:
    matrix = qr_matrix(url)

    def paint(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        draw_qr(c, matrix, x, y + (h - QR_SIZE) / 2, QR_SIZE)

    return paint
