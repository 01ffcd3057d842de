"""The 送达回证 of a pickup or field task: what it says (method, place, times, people, identity
check, refusal and witness, evidence list with hashes and GPS), drawn with the receipt form's
building blocks (receipts.layout) and sealed with the court's seal (receipts.seal).

Photos on the receipt are resized copies re-encoded without metadata (no EXIF location leaves
the court); the originals stay in evidence (sealed, read through ``inperson.captures.capture_bytes``),
their SHA-256 printed here. Like the electronic receipt, it carries a QR code to the public
``/verify/<receipt_no>`` page.
"""
from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.models import Evidence
from centre.staff import display_names
from core.settings import Settings
from documents.kinds import DocumentKind
from documents.storage import Storage
from inperson.captures import capture_bytes, complete_captures, thumbnail
from inperson.choices import Collector, TaskReceiptStatus
from inperson.models import Capture, InPersonRecord, TaskReceipt
from receipts.layout import (
    BODY,
    INNER_W,
    LABEL_W,
    NONE_TEXT,
    PAD_X,
    PAD_Y,
    SEAL_SIZE,
    Cell,
    Sheet,
    TextStyle,
    beijing_time,
    label,
    register_fonts,
    signature_image,
    verify_section,
    wrap,
)
from receipts.seal import SealPlacement
from receipts.verification import verify_url
from service.choices import Channel, ServiceMethod
from service.models import Attempt, Case, Court, Recipient, Service, ServiceDocument

log = logging.getLogger(__name__)
# The request that closed the task seals its receipt; the sweep takes only those it left behind.
SWEEP_AFTER = timedelta(minutes=1)
TITLE = "送达回证"
PHOTO_BOX = (45 * mm, 34 * mm)
SIGNATURE_BOX = (60 * mm, 20 * mm)


def method_text(attempt: Attempt) -> str:
    if attempt.method is ServiceMethod.LODGED:
        return "留置送达"
    return "直接送达（来院领取）" if attempt.channel is Channel.PICKUP else "直接送达（外出送达）"


@dataclass(frozen=True)
class EvidenceLine:
    kind: str
    sha256: str
    size: int
    where_when: str


@dataclass(frozen=True)
class TaskReceiptData:
    receipt_no: str
    court_name: str
    court_phone: str
    case_number: str
    cause: str
    recipient_name: str
    recipient_role: str
    recipient_id_masked: str
    documents: list[tuple[str, str, str]]     # title, kind label, sha256
    method: str
    place: str
    times: list[tuple[str, datetime | None]]
    collector: str
    identity: str
    handover: str
    refusal: str
    witness: str
    evidence: list[EvidenceLine]
    signature_png: bytes | None
    photo_jpeg: bytes | None
    served_by: str
    effect_rule: str
    effect_reason: str
    effective_at: datetime | None
    verify_url: str
    test_certificate: bool = False


def _identity_text(record: InPersonRecord) -> str:
    proof = record.identity_proof or {}
    if proof.get("method") == "desk":
        parts = ["核对居民身份证姓名及号码，与受送达人登记信息一致" if record.collector is Collector.RECIPIENT
                 else "受托人出示身份证件及授权委托书"]
        face = proof.get("face")
        if face:
            parts.append(f"人脸比对{'通过' if face.get('matched') else '未通过'}（距离 {face.get('distance')}，"
                         f"阈值 {face.get('threshold')}）")
        parts.append("现场拍照、按捺指印")
        return "；".join(parts)
    return "送达员现场核对" + ("；见证人到场见证" if proof.get("witnessed") else "")


def _where_when(capture) -> str:
    gps = (f"{capture.latitude:.5f},{capture.longitude:.5f}" if capture.latitude is not None else "无定位")
    flags = "，设备时间偏差较大" if "clock_off" in (capture.flags or []) else ""
    device = beijing_time(capture.device_time)[:19] if capture.device_time else "—"
    return f"{gps}；设备时间 {device}{flags}；上传 {beijing_time(capture.completed_at)[:19]}"


async def _image(captures: list[Capture], sha256: str | None, storage: Storage, settings: Settings) -> bytes | None:
    """The signature or photo the record names by its hash, opened from its sealed capture."""
    if not sha256:
        return None
    found = next((c for c in captures if c.sha256 == sha256 and c.evidence_id), None)
    if found is None:  # never seal a receipt that silently lacks the signature or photo it records
        raise LookupError(f"no capture {sha256[:12]}… for the task's record")
    return await capture_bytes(found, storage, settings)


async def task_receipt_data(receipt: TaskReceipt, *, storage: Storage, settings: Settings,
                            test_certificate: bool) -> TaskReceiptData:
    attempt = await Attempt.get(id=receipt.attempt_id)
    record = await InPersonRecord.get(attempt_id=attempt.id)
    service = await Service.get(id=attempt.service_id)
    case = await Case.get(id=service.case_id)
    court = await Court.get(id=attempt.court_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    documents = await ServiceDocument.filter(service_id=service.id).order_by("position").prefetch_related("document")
    captures = await complete_captures(attempt.id)
    evidence = {e.id: e for e in await Evidence.filter(attempt_id=attempt.id)}
    names = await display_names({attempt.assignee_id} if attempt.assignee_id else set())
    lodged = attempt.method is ServiceMethod.LODGED
    collector = f"{record.collector_name}（{record.collector.label}" + (
        f"，{record.relation}" if record.relation else "") + (
        f"，证件号码 {record.collector_id_masked}" if record.collector_id_masked else "") + "）"
    signature = await _image(captures, record.signature_sha256, storage, settings)
    photo = await _image(captures, record.photo_sha256, storage, settings)
    handover = "、".join(t for t, on in (("当面交付纸质文书", record.handed_on_paper),
                                           ("推送至受送达人手机", record.pushed_to_phone)) if on)
    return TaskReceiptData(
        receipt_no=receipt.receipt_no, court_name=court.name, court_phone=court.phone, case_number=case.case_number,
        cause=case.cause, recipient_name=recipient.name, recipient_role=recipient.role.label,
        recipient_id_masked=recipient.id_number_masked or "",
        documents=[(sd.document.title, DocumentKind(sd.document.kind).label, sd.document.sha256) for sd in documents],
        method=method_text(attempt), place=record.place or recipient.address_masked,
        times=[("到达现场", record.arrived_at) if attempt.channel is Channel.FIELD else ("开始办理", attempt.started_at),
               ("拒收时间" if lodged else "签收时间", attempt.served_at), ("办结时间", attempt.closed_at)],
        collector="受送达人拒绝签收" if lodged else collector, identity=_identity_text(record),
        handover="文书留置于受送达人住所" if lodged else handover,
        refusal=f"拒收事由：{record.refusal_reason}；拒收日期：{beijing_time(record.refused_at)}" if lodged else "",
        witness=(f"{record.witness_name}（{record.witness_role or '见证人'}）" if record.witness_name else
                 "未邀请见证人，以拍照、录像记录送达过程") if lodged else "",
        evidence=[EvidenceLine(c.kind.label, c.sha256, c.size, _where_when(c)) for c in captures
                  if c.evidence_id in evidence],
        signature_png=signature, photo_jpeg=await asyncio.to_thread(thumbnail, photo) if photo else None,
        served_by=names.get(attempt.assignee_id, "送达员") + f"（{court.name}送达中心）",
        effect_rule=attempt.effect_rule, effect_reason=attempt.effect_reason, effective_at=attempt.effective_at,
        verify_url=verify_url(settings.public_base_url, receipt.receipt_no), test_certificate=test_certificate)


def _image_cell(data: bytes | None, width: float, box: tuple[float, float], *, signature: bool) -> Cell:
    if not data:
        return Cell(width, NONE_TEXT)
    image = signature_image(data) if signature else Image.open(io.BytesIO(data))
    scale = min(box[0] / image.width, box[1] / image.height)
    w, h = image.width * scale, image.height * scale
    reader = ImageReader(image)

    def paint(c: Canvas, x: float, y: float, cell_w: float, cell_h: float) -> None:
        c.drawImage(reader, x, y + (cell_h - h) / 2, w, h)

    return Cell(width, painter=paint, content_height=box[1])


def render_task_receipt(data: TaskReceiptData) -> tuple[bytes, int, tuple[int, int, int, int]]:
    """The unsealed PDF, the page and the box kept for the seal."""
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(TITLE)
    canvas.setAuthor(data.court_name)
    canvas.setSubject(f"{data.case_number} {data.receipt_no}")
    sheet = Sheet(canvas, data, TITLE)  # the sheet reads case_number, receipt_no and test_certificate
    if data.test_certificate:
        sheet.banner("测试证书 · 仅供测试，不具法律效力")
    sheet.text_line(data.court_name, TextStyle(size=15, leading=21), "center")
    sheet.text_line(TITLE, TextStyle(size=19, leading=27), "center")
    sheet.text_line(f"凭证编号：{data.receipt_no}", BODY, "right", 16)
    rest = INNER_W - LABEL_W

    def line(name: str, value: str) -> list[Cell]:
        return [label(name), Cell(rest, value or NONE_TEXT)]

    sheet.section("案件", [line("案号", data.case_number), line("案由", data.cause)])
    sheet.section("受送达人", [line("姓名/名称", f"{data.recipient_name}（{data.recipient_role}）"),
                           line("证件号码", data.recipient_id_masked)])
    sheet.section("送达文书", [line(kind, f"{title}  SHA-256 {digest[:16]}…") for title, kind, digest in data.documents])
    rows = [line("送达方式", data.method), line("送达地点", data.place),
            *[line(name, beijing_time(at)) for name, at in data.times],
            line("签收人", data.collector), line("身份核验", data.identity), line("交付方式", data.handover)]
    if data.refusal:
        rows += [line("拒收情况", data.refusal), line("见证", data.witness)]
    sheet.section("送达过程", rows)
    half = rest / 2
    sheet.section("签收", [[label("见证人签名与照片" if data.refusal else "签名与照片"), _image_cell(data.signature_png, half, SIGNATURE_BOX, signature=True),
                           _image_cell(data.photo_jpeg, half, PHOTO_BOX, signature=False)]])
    sheet.section("证据材料", [line(e.kind, f"SHA-256 {e.sha256[:32]}…  {e.size} 字节；{e.where_when}")
                           for e in data.evidence] or [line("证据", NONE_TEXT)])
    seal_w = SEAL_SIZE + 2 * PAD_X
    text_w = rest - seal_w
    served = [*wrap(data.served_by, BODY, text_w - 2 * PAD_X),
              *(wrap(f"法院电话：{data.court_phone}", BODY, text_w - 2 * PAD_X) if data.court_phone else [])]

    def keep_for_seal(c: Canvas, x: float, y: float, w: float, h: float) -> None:
        bottom = y - PAD_Y + 1 * mm
        sheet.seal_spot = (sheet.page - 1, (round(x), round(bottom), round(x + SEAL_SIZE), round(bottom + SEAL_SIZE)))

    sheet.section("送达人", [[label("送达人"), Cell(text_w, served),
                           Cell(seal_w, painter=keep_for_seal, content_height=SEAL_SIZE)]])
    sheet.section("法律效力", [line("法律依据", data.effect_rule), line("说明", data.effect_reason),
                           line("生效时间", beijing_time(data.effective_at) if data.effective_at else "尚未生效")])
    verify_section(sheet, data.verify_url)
    sheet.finish()
    canvas.save()
    assert sheet.seal_spot is not None
    return out.getvalue(), *sheet.seal_spot


def _render_and_seal(sealer, data: TaskReceiptData) -> bytes:
    pdf, page, box = render_task_receipt(data)
    return sealer.seal(pdf, visible=SealPlacement(page, box, data.court_name))


async def seal_task_receipt(receipt_id: int, *, sealer, storage: Storage, settings: Settings,
                            now: datetime) -> TaskReceipt:
    """Render and seal; idempotent (a receipt sealed already is returned as it is)."""
    receipt = await TaskReceipt.get(id=receipt_id)
    if receipt.status is TaskReceiptStatus.SEALED:
        return receipt
    data = await task_receipt_data(receipt, storage=storage, settings=settings, test_certificate=sealer.is_test)
    pdf = await asyncio.to_thread(_render_and_seal, sealer, data)
    key, _ = storage.put(pdf)
    async with in_transaction():
        marked = await TaskReceipt.filter(id=receipt.id, status=TaskReceiptStatus.PENDING).update(
            status=TaskReceiptStatus.SEALED, pdf_sha256=key, sealed_at=now)
        if marked:
            attempt = await Attempt.get(id=receipt.attempt_id)
            await record_event(EventType.TASK_RECEIPT_READY, court_id=attempt.court_id, service_id=attempt.service_id,
                               recipient_id=attempt.recipient_id, actor=Actor.system(), meta=RequestMeta.none(),
                               data={"attempt_id": attempt.id, "receipt_no": receipt.receipt_no, "pdf_sha256": key})
    return await TaskReceipt.get(id=receipt.id)


async def seal_pending_task_receipts(*, sealer, storage: Storage, settings: Settings, now: datetime,
                                     limit: int = 5) -> int:
    """The sweep: receipts a request could not seal (a crash, a seal outage) are sealed here."""
    sealed = 0
    left = TaskReceipt.filter(status=TaskReceiptStatus.PENDING, created_at__lt=now - SWEEP_AFTER)
    for receipt in await left.order_by("id").limit(limit):
        try:
            await seal_task_receipt(receipt.id, sealer=sealer, storage=storage, settings=settings, now=now)
            sealed += 1
        except Exception:  # one bad receipt must not hold up the others; logged with its id
            log.exception("task receipt %s could not be sealed", receipt.id)
    return sealed


__all__ = ["seal_pending_task_receipts", "seal_task_receipt", "task_receipt_data"]
