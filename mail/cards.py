"""回执: scans of returned cards, matched to their items by the code printed on each card, and
the staff's confirmation of what the card says, which closes the mail task.

A scan is one image or a PDF of many cards; every PDF page is kept as a one-page PDF of its own,
matched by the barcode or QR code read from it (zxing-cpp). A page whose code cannot be read, or
names no item of the caller's, is kept unmatched for a person to match. Confirming a card attaches
the scan to the attempt as evidence and closes the task through centre.handling.close_task: served
on the date the law gives (service/legal_effect.mail_effect), or failed with the return reason.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter
from tortoise.transactions import in_transaction

from addresses.book import record_return
from addresses.people import person_keys
from audit.choices import EventType
from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from centre.evidence import attach_evidence, identify
from centre.handling import Closing, close_task
from centre.scope import Scope
from centre.tasks import record_task_event
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.settings import Settings
from documents.storage import Storage
from identity.pii import PiiCipher
from identity.pii_keys import pii_cipher
from mail.models import MailItem, ReturnScan
from mail.tracking import item_filter, item_in_scope
from service.choices import EvidenceKind, FailureReason, MailReturn, MailSigner, Outcome, ServiceMethod, TaskStatus
from service.legal_effect import MailFacts, mail_effect
from service.models import Attempt, Recipient, Service
from service.recipient_address import open_address

CODE = re.compile(r"YJ\d{10}")
SCAN_DPI = 150
MAX_SCAN_PAGES = 200
_FAILURES = {MailReturn.REFUSED: FailureReason.REFUSED, MailReturn.NO_SUCH_PERSON: FailureReason.NO_SUCH_PERSON,
             MailReturn.ADDRESS_WRONG: FailureReason.ADDRESS_UNCLEAR, MailReturn.MOVED: FailureReason.MOVED}


def read_code(image: Image.Image) -> str:
    """The item code on a card image, from its barcode or QR code; "" when none is readable."""
    for result in zxingcpp.read_barcodes(image):
        if match := CODE.fullmatch(result.text.strip()):
            return match.group(0)
    return ""


def split_pages(data: bytes) -> list[tuple[bytes, str]]:
    """A scanned PDF → (one-page PDF, code read from it) per page."""
    pages = []
    reader = PdfReader(io.BytesIO(data))
    rendered = pdfium.PdfDocument(data)
    try:
        for index, page in enumerate(reader.pages):
            writer = PdfWriter()
            writer.add_page(page)
            out = io.BytesIO()
            writer.write(out)
            image = rendered[index].render(scale=SCAN_DPI / 72).to_pil()
            pages.append((out.getvalue(), read_code(image)))
    finally:
        rendered.close()
    return pages


async def upload_scans(scope: Scope, data: bytes, filename: str, *, court_id: int, storage: Storage,
                       max_bytes: int, now: datetime) -> list[ReturnScan]:
    """Store the scan, page by page, matching each page to its item where the code is readable."""
    found = identify(data, filename or "", max_bytes=max_bytes)
    if found.kind not in (EvidenceKind.IMAGE, EvidenceKind.PDF):
        raise ValidationFailed("回执扫描件应为图片（JPG/PNG/WebP）或PDF", code="scan_type_unsupported")
    if found.kind is EvidenceKind.PDF:
        parts = split_pages(data)
        if len(parts) > MAX_SCAN_PAGES:
            raise ValidationFailed(f"一次最多上传{MAX_SCAN_PAGES}页回执", code="scan_too_many_pages")
    else:
        with Image.open(io.BytesIO(data)) as image:
            parts = [(data, read_code(image.convert("RGB")))]
    codes = [code for _, code in parts if code]
    items = {i.code: i for i in await MailItem.filter(code__in=codes, **item_filter(scope))}
    scans = []
    keys = [storage.put(part)[0] for part, _ in parts]
    async with in_transaction():
        for page, ((_, code), key) in enumerate(zip(parts, keys, strict=True), 1):
            item = items.get(code)
            scans.append(await ReturnScan.create(
                court_id=item.court_id if item else court_id, item_id=item.id if item else None, sha256=key,
                content_type=found.content_type, filename=(filename or "")[:255], page=page, code_read=code,
                uploaded_by_id=scope.staff_id, created_at=now))
    return scans


def scan_filter(scope: Scope) -> dict:
    """Matched scans by their item's task scope; unmatched ones by court (or centre's courts)."""
    if scope.court_id is not None:
        return {"court_id": scope.court_id}
    return {"court__centre_id": scope.centre_id}


async def unmatched_scans(scope: Scope) -> list[ReturnScan]:
    return await ReturnScan.filter(item_id=None, **scan_filter(scope)).order_by("id").limit(200)


async def match_scan(scope: Scope, scan_id: int, code: str) -> ReturnScan:
    """人工匹配: a person reads the card and names its item."""
    code = (code or "").strip().upper()
    if not CODE.fullmatch(code):
        raise ValidationFailed("邮件编号格式应为 YJ 加10位数字", code="mail_code_invalid")
    scan = await ReturnScan.filter(id=scan_id, **scan_filter(scope)).first() if 0 < scan_id < 2**31 else None
    if scan is None:
        raise NotFound("回执扫描件不存在")
    if scan.item_id is not None:
        raise Conflict("该扫描件已匹配邮件", code="scan_already_matched")
    item = await MailItem.filter(code=code, **item_filter(scope)).first()
    if item is None:
        raise NotFound(f"找不到邮件 {code}")
    await ReturnScan.filter(id=scan.id, item_id=None).update(item_id=item.id)
    scan.item_id = item.id
    return scan


@dataclass(frozen=True)
class CardFacts:
    """What staff read from the card (signed) or the returned envelope (returned)."""

    received_at: datetime | None = None
    signer: MailSigner | None = None
    signer_name: str = ""
    returned_at: datetime | None = None
    return_reason: MailReturn | None = None
    address_confirmed: bool = False
    note: str = ""


def _check(facts: CardFacts, now: datetime) -> MailFacts:
    problems = []
    if (facts.received_at is None) == (facts.returned_at is None):
        problems.append({"field": "received_at", "message": "请填写收件日期（已签收）或退回日期（已退回），二者选一"})
    if facts.received_at is not None:
        if facts.signer is None:
            problems.append({"field": "signer", "message": "请选择签收人与受送达人的关系"})
        if not facts.signer_name.strip() or len(facts.signer_name) > 50:
            problems.append({"field": "signer_name", "message": "请填写签收人姓名（不超过50字）"})
    if facts.returned_at is not None and facts.return_reason is None:
        problems.append({"field": "return_reason", "message": "请选择退回原因"})
    when = facts.received_at or facts.returned_at
    if when is not None and when > now:
        problems.append({"field": "received_at", "message": "日期不能晚于今天"})
    if len(facts.note) > 200:
        problems.append({"field": "note", "message": "说明不超过200字"})
    if problems:
        raise ValidationFailed("回执信息有误", code="card_invalid", details=problems)
    return MailFacts(received_at=facts.received_at, signer=facts.signer, returned_at=facts.returned_at,
                     return_reason=facts.return_reason, address_confirmed=facts.address_confirmed)


async def confirm_card(scope: Scope, item_id: int, facts: CardFacts, *, storage: Storage, max_bytes: int,
                       settings: Settings, now: datetime, meta: RequestMeta) -> Attempt:
    """审核回执: the scan becomes evidence on the attempt and the task is closed, all or nothing."""
    if scope.centre_id is None:
        raise Forbidden("回执须由送达中心人员确认")
    item = await item_in_scope(scope, item_id)
    if item.confirmed_at is not None:
        raise Conflict("该邮件的回执已确认", code="card_already_confirmed")
    law = _check(facts, now)
    scans = await ReturnScan.filter(item_id=item.id).order_by("id")
    if not scans:
        raise ValidationFailed("请先上传并匹配该邮件的回执扫描件", code="card_scan_missing")
    attempt = await Attempt.get(id=item.attempt_id)
    own = Scope(scope.staff_id, centre_id=scope.centre_id, assignee_id=scope.staff_id)
    if attempt.status is TaskStatus.CLOSED:
        raise Conflict("该邮寄任务已办结", code="task_already_closed")
    if attempt.assignee_id not in (None, scope.staff_id):
        raise Forbidden("该任务由其他送达员承办，请由承办人确认回执")
    effect = mail_effect(law)
    closing = (Closing(Outcome.SERVED, ServiceMethod.MAIL, effect.at, mail=law) if effect.effective else
               Closing(Outcome.FAILED, failure_reason=_FAILURES.get(facts.return_reason, FailureReason.OTHER),
                       failure_text=f"{effect.reason}{('；' + facts.note) if facts.note else ''}"[:500]))
    async with in_transaction():
        if attempt.assignee_id is None:
            # An unassigned task: the dispatcher who confirms its card takes it.
            await assign_tasks(scope, [attempt.id], scope.staff_id, now=now, meta=meta)
        for scan in scans:
            data = storage.get(scan.sha256)
            extension = "pdf" if scan.content_type == "application/pdf" else scan.content_type.split("/")[-1]
            await attach_evidence(own, attempt.id, data=data, filename=f"回执-{item.code}-{scan.id}.{extension}",
                                  description="邮件回执扫描件", storage=storage, max_bytes=max_bytes, now=now, meta=meta)
        closed = await close_task(own, attempt.id, closing, now=now, meta=meta)
        await MailItem.filter(id=item.id, confirmed_at__isnull=True).update(
            card_received_at=facts.received_at, card_signer=facts.signer, return_reason=facts.return_reason,
            signer_name=facts.signer_name.strip() or item.signer_name,
            returned_at=facts.returned_at or item.returned_at, confirmed_at=now, confirmed_by_id=scope.staff_id,
            updated_at=now)
        if facts.returned_at is not None and facts.return_reason in ADDRESS_FAILURES:
            await _invalidate_address(pii_cipher(settings), attempt, item, facts.return_reason, scope, now)
        await record_task_event(EventType.MAIL_CARD_CONFIRMED, closed, own, meta, {
            "mail_item_id": item.id, "effective": effect.effective, "rule": effect.rule, "reason": effect.reason})
    return closed


# Returns that say the address is wrong (地址不准确, 迁出, 查无此人); a refusal or nobody at home does not.
ADDRESS_FAILURES = frozenset({MailReturn.ADDRESS_WRONG, MailReturn.MOVED, MailReturn.NO_SUCH_PERSON})


async def _invalidate_address(cipher: PiiCipher, attempt: Attempt, item: MailItem, reason: MailReturn,
                              scope: Scope, now: datetime) -> None:
    recipient = await Recipient.get(id=attempt.recipient_id)
    address = open_address(cipher, recipient)
    if not address:
        return
    service = await Service.get(id=attempt.service_id)
    person = person_keys(cipher, recipient.name, id_number_index=recipient.id_number_index,
                         phone_index=recipient.phone_index)
    await record_return(cipher, person, address, reason=f"邮件退回：{reason.label}", court_id=attempt.court_id,
                        case_id=service.case_id, recipient_id=recipient.id, evidence={"mail_item_id": item.id},
                        staff_id=scope.staff_id, now=now)
