"""送达报告: one PDF per case listing every recipient, channel, outcome and effective time.

For a recipient whose receipt is sealed, the report prints what that receipt states (its row keeps
it): facts known at sealing are final for that receipt. When a fact learnt afterwards gives an
earlier effective time, a labelled line below the recipient's rows says so, citing the receipt;
it never replaces the receipt's statement (service/effects.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from receipts.layout import FONT, beijing_time, register_fonts
from service.effects import LaterFact, later_fact, recipient_effect, sealed, sealed_effect
from service.models import Case, Court, Delivery, Receipt, Recipient, Service, ServiceDocument


@dataclass(frozen=True)
class ReportRow:
    service_id: int
    recipient: str
    role: str
    channel: str
    state: str
    notified_at: datetime | None
    signed_at: datetime | None
    effective_at: datetime | None
    rule: str
    receipt_no: str
    later: LaterFact | None = None  # on the recipient's last row: printed as a note below it


async def report_rows(case: Case) -> list[ReportRow]:
    rows = []
    for service in await Service.filter(case_id=case.id).order_by("id"):
        documents = await ServiceDocument.filter(service_id=service.id).order_by("position").prefetch_related("document")
        for recipient in await Recipient.filter(service_id=service.id).order_by("position"):
            current = await recipient_effect(recipient, documents)
            receipt = await Receipt.get_or_none(recipient_id=recipient.id)
            effect, later = current, None
            if sealed(receipt):
                effect, later = sealed_effect(receipt), later_fact(receipt, current)
            start = len(rows)
            for delivery in await Delivery.filter(recipient_id=recipient.id).order_by("id"):
                rows.append(ReportRow(
                    service.id, recipient.name, recipient.role.label, delivery.channel.label, delivery.state.label,
                    delivery.notified_at, delivery.signed_at, effect.at if effect.effective else None,
                    _basis(effect) if effect.effective else effect.reason, receipt.receipt_no if receipt else ""))
            if later and len(rows) > start:
                rows[-1] = replace(rows[-1], later=later)
    return rows


def _text(value: object) -> str:
    """Plain text for a Paragraph, whose argument is markup: a name or cause from outside could
    otherwise carry ``<img src>`` (a local file or a URL the server fetches), ``<a href>`` or tags
    that fail the render. Control characters other than tab and newline are dropped."""
    text = "".join(ch for ch in str(value) if ch >= " " or ch in "\t\n")
    return escape(text, {'"': "&quot;", "'": "&#39;"})


def _basis(effect) -> str:
    rule = effect.rule or "（回证未单独记载依据）"
    return f"{rule}（{effect.channel.label}）" if effect.channel else rule


def later_fact_note(later: LaterFact) -> str:
    """The labelled line printed under a recipient whose sealed receipt states a later time."""
    channel = later.channel.label if later.channel else "—"
    return (f"【回证出具后获知的更早事实】回证 {later.receipt_no} 所载生效时间"
            f"{beijing_time(later.sealed_effective_at)}不变；回证加盖电子印章后获知："
            f"{channel}渠道于{beijing_time(later.effective_at)}已满足生效条件"
            f"（{later.reason}；{later.rule}）。")


def render_service_report(court: Court, case: Case, rows: list[ReportRow], *, generated_at: datetime) -> bytes:
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=f"送达报告 {case.case_number}")
    header = ["送达", "受送达人", "身份", "渠道", "状态", "发送", "签收", "生效",
              "依据／说明", "回证编号"]
    table_rows = [[Paragraph(h, body) for h in header]] + [[Paragraph(_text(v), body) for v in (
        r.service_id, r.recipient, r.role, r.channel, r.state, beijing_time(r.notified_at),
        beijing_time(r.signed_at), beijing_time(r.effective_at), r.rule, r.receipt_no or "—")] for r in rows]
    notes = _insert_notes(table_rows, rows, body, len(header))
    table = Table(table_rows, repeatRows=1, colWidths=[10 * mm, 18 * mm, 14 * mm, 16 * mm, 14 * mm, 22 * mm,
                                                       22 * mm, 22 * mm, 26 * mm, 22 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               *[("SPAN", (0, n), (-1, n)) for n in notes],
                               *[("BACKGROUND", (0, n), (-1, n), colors.Color(1, 0.96, 0.85)) for n in notes]]))
    doc.build([
        Paragraph(_text(court.name), title), Paragraph("送达报告", title), Spacer(1, 4 * mm),
        Paragraph(_text(f"案号：{case.case_number}　案由：{case.cause or '—'}　承办法官：{case.judge or '—'}　"
                        f"书记员：{case.clerk or '—'}"), body),
        Paragraph(f"生成时间：{beijing_time(generated_at)}　共 {len(rows)} 条送达记录", body),
        Spacer(1, 3 * mm), table,
    ])
    return buffer.getvalue()


def _insert_notes(table_rows: list, rows: list[ReportRow], style: ParagraphStyle, width: int) -> list[int]:
    """A later-learnt earlier fact: one full-width row under the recipient's last row. Returns the
    indexes of those rows in ``table_rows`` (row 0 is the header)."""
    later = [i for i, r in enumerate(rows) if r.later]
    for i in reversed(later):
        table_rows.insert(i + 2, [Paragraph(_text(later_fact_note(rows[i].later)), style)] + [""] * (width - 1))
    return [i + 2 + k for k, i in enumerate(later)]
