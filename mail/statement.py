"""月度对账单: what a court owes the outsourced centre for a month's mail items, by price band,
with the cases and totals, as PDF and xlsx. An item counts in the month it was printed."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from core.errors import ValidationFailed
from documents.pdf_fonts import FONT, register_fonts
from mail.choices import PriceBand
from mail.costs import yuan
from mail.models import MailItem
from mail.printing import BEIJING
from service.models import Attempt, Case, Court, Service


@dataclass(frozen=True)
class BandLine:
    band: PriceBand
    items: int
    postage_fen: int
    printing_fen: int


@dataclass(frozen=True)
class Statement:
    court_name: str
    month: str
    lines: tuple[BandLine, ...]
    cases: int
    details: tuple[tuple[str, str, str, str, int, int], ...]   # code, 案号, destination, band, postage, printing

    @property
    def items(self) -> int:
        return sum(line.items for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.postage_fen + line.printing_fen for line in self.lines)


def month_range(month: str) -> tuple[datetime, datetime]:
    """``2026-03`` → its first instant and the next month's, in Beijing time."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise ValidationFailed("月份格式应为 YYYY-MM，如 2026-03", code="month_invalid") from exc
    if not 2000 <= start.year <= 2100:
        raise ValidationFailed("月份有误", code="month_invalid")
    return start, (start + timedelta(days=32)).replace(day=1)


async def monthly_statement(court_id: int, month: str) -> Statement:
    start, end = month_range(month)
    court = await Court.get(id=court_id)
    items = await MailItem.filter(court_id=court_id, created_at__gte=start, created_at__lt=end).order_by("id")
    attempts = {a.id: a for a in await Attempt.filter(id__in=[i.attempt_id for i in items])}
    services = {s.id: s for s in await Service.filter(id__in={a.service_id for a in attempts.values()})}
    cases = {c.id: c.case_number for c in await Case.filter(id__in={s.case_id for s in services.values()})}
    lines = []
    for band in PriceBand:
        mine = [i for i in items if i.band is band]
        lines.append(BandLine(band, len(mine), sum(i.postage_fen for i in mine), sum(i.printing_fen for i in mine)))
    case_of = {i.id: cases[services[attempts[i.attempt_id].service_id].case_id] for i in items}
    details = tuple((i.code, case_of[i.id], i.destination, i.band.label, i.postage_fen, i.printing_fen) for i in items)
    return Statement(court.name, month, tuple(lines), len(set(case_of.values())), details)


def statement_xlsx(statement: Statement) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    summary.append([f"{statement.court_name} 邮寄送达费用对账单（{statement.month}）"])
    summary.append(["价格档", "件数", "邮寄费（元）", "打印费（元）", "小计（元）"])
    for line in statement.lines:
        summary.append([line.band.label, line.items, float(yuan(line.postage_fen)), float(yuan(line.printing_fen)),
                        float(yuan(line.postage_fen + line.printing_fen))])
    summary.append(["合计", statement.items, None, None, float(yuan(statement.total_fen))])
    summary.append(["案件数", statement.cases])
    details = book.create_sheet("明细")
    details.append(["邮件编号", "案号", "目的地", "价格档", "邮寄费（元）", "打印费（元）"])
    for code, case, destination, band, postage, printing in statement.details:
        details.append([code, case, destination, band, float(yuan(postage)), float(yuan(printing))])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    register_fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, initialFontName=FONT, pageCompression=1)
    width, height = A4
    c.setFont(FONT, 16)
    c.drawCentredString(width / 2, height - 25 * mm, f"{statement.court_name}")
    c.drawCentredString(width / 2, height - 34 * mm, f"邮寄送达费用对账单（{statement.month}）")
    y = height - 50 * mm
    columns = (20 * mm, 55 * mm, 85 * mm, 120 * mm, 155 * mm)
    c.setFont(FONT, 11)
    for x, text in zip(columns, ("价格档", "件数", "邮寄费（元）", "打印费（元）", "小计（元）"), strict=True):
        c.drawString(x, y, text)
    for line in statement.lines:
        y -= 8 * mm
        values = (line.band.label, str(line.items), yuan(line.postage_fen), yuan(line.printing_fen),
                  yuan(line.postage_fen + line.printing_fen))
        for x, text in zip(columns, values, strict=True):
            c.drawString(x, y, text)
    y -= 10 * mm
    c.drawString(columns[0], y, f"合计：{statement.items} 件，涉及案件 {statement.cases} 件，金额 {yuan(statement.total_fen)} 元")
    y -= 14 * mm
    c.setFont(FONT, 9)
    c.drawString(columns[0], y, "明细（邮件编号　案号　目的地　价格档　邮寄费　打印费）")
    for code, case, destination, band, postage, printing in statement.details:
        y -= 5.5 * mm
        if y < 20 * mm:
            c.showPage()
            c.setFont(FONT, 9)
            y = height - 20 * mm
        c.drawString(columns[0], y, f"{code}　{case}　{destination}　{band}　{yuan(postage)}　{yuan(printing)}")
    c.showPage()
    c.save()
    return out.getvalue()
