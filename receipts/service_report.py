"""送达报告: one PDF per case listing every recipient, every attempt on every channel (electronic
deliveries and the service centre's tasks) with its outcome and method, the recipient's effective
time and rule, and the list of evidence files (name, kind, size, SHA-256, who uploaded it, when).

For a recipient whose receipt is sealed, the report prints what that receipt states (its row keeps
it): facts known at sealing are final for that receipt. When a fact learnt afterwards gives an
earlier effective time, a labelled line below the recipient's rows says so, citing the receipt;
it never replaces the receipt's statement (service/effects.py)."""
from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, replace
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from announcement.models import Announcement
from centre.models import Evidence
from centre.staff import display_names
from core.sql import fetch
from mail.report import MailReportItem, mail_report
from receipts.layout import FONT, beijing_time, register_fonts
from service.choices import Channel, Outcome
from service.effects import LaterFact, later_fact, recipient_effect, sealed, sealed_effect
from service.models import Attempt, Case, Court, Delivery, Receipt, Recipient, Service, ServiceDocument


@dataclass(frozen=True)
class ReportRow:
    """One attempt of one recipient. ``notified_at`` is when it started (the notice of an
    electronic delivery, the creation of a task), ``signed_at`` when it served (signature,
    or the served time a process server stated)."""

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
    result: str = ""                # outcome with method or failure reason; "" while open


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence file of an attempt (证据材料)."""

    service_id: int
    recipient: str
    channel: str
    filename: str
    kind: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


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
            common = dict(service_id=service.id, recipient=recipient.name, role=recipient.role.label,
                          effective_at=effect.at if effect.effective else None,
                          rule=_basis(effect) if effect.effective else effect.reason,
                          receipt_no=receipt.receipt_no if receipt else "")
            start = len(rows)
            rows += [ReportRow(**{**common, **line}) for line in await _attempt_lines(recipient)]
            if later and len(rows) > start:
                rows[-1] = replace(rows[-1], later=later)
    return rows


async def _attempt_lines(recipient: Recipient) -> list[dict]:
    """Every attempt of the recipient in the order they began; a delivery from before attempts
    existed is listed as it is."""
    deliveries = {d.id: d for d in await Delivery.filter(recipient_id=recipient.id).order_by("id")}
    attempts = await Attempt.filter(recipient_id=recipient.id).order_by("id")
    task_receipts = await _task_receipt_numbers([a.id for a in attempts])
    lines = []
    for attempt in attempts:
        delivery = deliveries.pop(attempt.delivery_id, None) if attempt.delivery_id else None
        if delivery is not None:
            lines.append(dict(channel=attempt.channel.label, state=delivery.state.label,
                              notified_at=delivery.notified_at, signed_at=delivery.signed_at,
                              result=_result(attempt, delivery.failure_reason)))
        else:
            lines.append(dict(channel=attempt.channel.label, state=attempt.status.label,
                              notified_at=attempt.created_at, signed_at=attempt.served_at,
                              result=_result(attempt, "") + await _task_note(attempt),
                              **task_receipts.get(attempt.id, {})))
    lines += [dict(channel=d.channel.label, state=d.state.label, notified_at=d.notified_at,
                   signed_at=d.signed_at, result=d.failure_reason) for d in deliveries.values()]
    return lines


# The 送达回证 of an in-person task (inperson/, a package above this one: read by its table).
_TASK_RECEIPTS = 'SELECT "attempt_id", "receipt_no" FROM "task_receipt" WHERE "attempt_id" = ANY($1::int[])'


async def _task_receipt_numbers(attempt_ids: list[int]) -> dict[int, dict[str, str]]:
    if not attempt_ids:
        return {}
    rows = await fetch(Attempt, _TASK_RECEIPTS, attempt_ids)
    return {row["attempt_id"]: {"receipt_no": row["receipt_no"]} for row in rows}


async def _task_note(attempt: Attempt) -> str:
    """Where an announcement was published; which court an entrusted service went to (its
    ``area`` holds the receiving court's name)."""
    if attempt.channel is Channel.ENTRUSTED and attempt.area:
        return f"（受托法院：{attempt.area}）"
    if attempt.channel is Channel.ANNOUNCEMENT:
        found = await Announcement.get_or_none(attempt_id=attempt.id)
        if found is not None and found.published_on is not None:
            return f"（人民法院报 {found.published_on.isoformat()} {found.edition} {found.page}）".replace("  ", " ")
    return ""


def _result(attempt: Attempt, delivery_failure: str) -> str:
    if attempt.outcome is None:
        return ""
    if attempt.outcome is Outcome.SERVED:
        return f"{attempt.outcome.label}（{attempt.method.label}）" if attempt.method else attempt.outcome.label
    if attempt.failure_reason is not None:
        text = f"：{attempt.failure_text}" if attempt.failure_text else ""
        return f"{attempt.outcome.label}（{attempt.failure_reason.label}{text}）"
    return f"{attempt.outcome.label}（{delivery_failure}）" if delivery_failure else attempt.outcome.label


async def report_evidence(case: Case) -> list[EvidenceRow]:
    """The evidence files of every attempt of the case, by service, attempt and upload."""
    files = await Evidence.filter(court_id=case.court_id, attempt__service__case_id=case.id) \
        .order_by("attempt__service_id", "attempt_id", "id").prefetch_related("attempt__recipient")
    names = await display_names({e.uploaded_by_id for e in files if e.uploaded_by_id})
    return [EvidenceRow(e.attempt.service_id, e.attempt.recipient.name, e.attempt.channel.label, e.filename,
                        e.kind.label, e.size, e.file_sha256, names.get(e.uploaded_by_id, "—"), e.created_at)
            for e in files]


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


async def report_mail(case: Case) -> list[MailReportItem]:
    """邮寄送达报告: every mail item of the case's services (waybill, timeline, scans, rule)."""
    items: list[MailReportItem] = []
    for service_id in await Service.filter(case_id=case.id).order_by("id").values_list("id", flat=True):
        items += await mail_report(service_id)
    return items


async def case_report_pdf(court: Court, case: Case, *, generated_at: datetime) -> bytes:
    """The whole 送达报告 of a case, gathered and rendered (off the event loop): what the console
    and the court API both serve."""
    rows, evidence, mail = await report_rows(case), await report_evidence(case), await report_mail(case)
    return await asyncio.to_thread(render_service_report, court, case, rows, generated_at=generated_at,
                                   evidence=evidence, mail=mail)


def render_service_report(court: Court, case: Case, rows: list[ReportRow], *, generated_at: datetime,
                          evidence: list[EvidenceRow] | None = None,
                          mail: list[MailReportItem] | None = None) -> bytes:
    """The PDF. Every value from outside (names, causes, rules, file names) goes through
    ``_text``: printed as text, never read as markup."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=8, leading=11, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=6.5, leading=8.5)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1)
    heading = ParagraphStyle("heading", parent=body, fontSize=11, leading=16)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=f"送达报告 {case.case_number}")
    header = ["送达", "受送达人", "身份", "渠道", "状态", "发起／通知", "签收／送达", "结果／方式", "生效",
              "依据／说明", "回证编号"]
    table_rows = [[Paragraph(h, body) for h in header]] + [[Paragraph(_text(v), body) for v in (
        r.service_id, r.recipient, r.role, r.channel, r.state, beijing_time(r.notified_at),
        beijing_time(r.signed_at), r.result or "—", beijing_time(r.effective_at), r.rule,
        r.receipt_no or "—")] for r in rows]
    notes = _insert_notes(table_rows, rows, body, len(header))
    table = Table(table_rows, repeatRows=1, colWidths=[10 * mm, 20 * mm, 14 * mm, 17 * mm, 15 * mm, 25 * mm,
                                                       25 * mm, 32 * mm, 25 * mm, 65 * mm, 25 * mm])
    table.setStyle(TableStyle([*_GRID,
                               *[("SPAN", (0, n), (-1, n)) for n in notes],
                               *[("BACKGROUND", (0, n), (-1, n), colors.Color(1, 0.96, 0.85)) for n in notes]]))
    evidence = evidence or []
    doc.build([
        Paragraph(_text(court.name), title), Paragraph("送达报告", title), Spacer(1, 4 * mm),
        Paragraph(_text(f"案号：{case.case_number}　案由：{case.cause or '—'}　承办法官：{case.judge or '—'}　"
                        f"书记员：{case.clerk or '—'}"), body),
        Paragraph(f"生成时间：{beijing_time(generated_at)}　共 {len(rows)} 条送达记录，"
                  f"{len(evidence)} 份证据材料", body),
        Spacer(1, 3 * mm), table, Spacer(1, 5 * mm),
        Paragraph("证据材料清单", heading), Spacer(1, 2 * mm),
        _evidence_table(evidence, body, small) if evidence else Paragraph("无证据材料", body),
        *([Spacer(1, 5 * mm), Paragraph("邮寄送达报告", heading), Spacer(1, 2 * mm), _mail_table(mail, body, small)]
          if mail else []),
    ])
    return buffer.getvalue()


_GRID = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
         ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
         ("VALIGN", (0, 0), (-1, -1), "TOP")]


def _evidence_table(evidence: list[EvidenceRow], body: ParagraphStyle, small: ParagraphStyle) -> Table:
    header = ["送达", "受送达人", "渠道", "文件名", "类型", "大小", "SHA-256", "上传人", "上传时间"]
    rows = [[Paragraph(h, body) for h in header]] + [[
        Paragraph(_text(e.service_id), body), Paragraph(_text(e.recipient), body), Paragraph(_text(e.channel), body),
        Paragraph(_text(e.filename), body), Paragraph(_text(e.kind), body), Paragraph(_size(e.size), body),
        Paragraph(_text(e.sha256), small), Paragraph(_text(e.uploaded_by), body),
        Paragraph(_text(beijing_time(e.uploaded_at)), body)] for e in evidence]
    table = Table(rows, repeatRows=1, colWidths=[10 * mm, 20 * mm, 17 * mm, 50 * mm, 12 * mm, 20 * mm,
                                                 80 * mm, 20 * mm, 44 * mm])
    table.setStyle(TableStyle(_GRID))
    return table


def _mail_table(items: list[MailReportItem], body: ParagraphStyle, small: ParagraphStyle) -> Table:
    header = ["受送达人", "邮件编号／运单号", "状态", "签收人／退回", "物流轨迹", "回执扫描（SHA-256）", "生效", "依据／说明"]
    rows = [[Paragraph(h, body) for h in header]]
    for item in items:
        timeline = "<br/>".join(_text(f"{beijing_time(line.at)} {line.status} {line.location} {line.text}".strip())
                                for line in item.timeline) or "—"
        rows.append([
            Paragraph(_text(item.recipient), body), Paragraph(_text(f"{item.code}／{item.waybill or '—'}"), body),
            Paragraph(_text(item.status), body), Paragraph(_text(item.signer or item.returned or "—"), body),
            Paragraph(timeline, small), Paragraph(_text("；".join(item.scan_sha256) or "—"), small),
            Paragraph(_text(beijing_time(item.effective_at)), body),
            Paragraph(_text("；".join(x for x in (item.effect_rule, item.effect_reason, item.failure) if x) or "—"),
                      body)])
    table = Table(rows, repeatRows=1, colWidths=[20 * mm, 32 * mm, 14 * mm, 24 * mm, 75 * mm, 45 * mm, 25 * mm,
                                                 38 * mm])
    table.setStyle(TableStyle(_GRID))
    return table


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB（{size:,} 字节）"
    if size >= 1024:
        return f"{size / 1024:.1f} KB（{size:,} 字节）"
    return f"{size} 字节"


def _insert_notes(table_rows: list, rows: list[ReportRow], style: ParagraphStyle, width: int) -> list[int]:
    """A later-learnt earlier fact: one full-width row under the recipient's last row. Returns the
    indexes of those rows in ``table_rows`` (row 0 is the header)."""
    later = [i for i, r in enumerate(rows) if r.later]
    for i in reversed(later):
        table_rows.insert(i + 2, [Paragraph(_text(later_fact_note(rows[i].later)), style)] + [""] * (width - 1))
    return [i + 2 + k for k, i in enumerate(later)]
