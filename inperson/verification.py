"""Public verification of a pickup or field task's 送达回证 (``TaskReceipt``): the same
``/verify/<receipt_no>`` page and file check as an electronic receipt, fed from the task.

Task receipt numbers come from the same generator as electronic ones (random, unguessable), so
the page looks a number up among electronic receipts first and then here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import NotFound
from inperson.choices import TaskReceiptStatus
from inperson.models import TaskReceipt
from inperson.receipt import method_text
from receipts.verification import FileCheck, check_sealed_pdf
from service.choices import ServiceMethod
from service.models import Case, Court, Recipient


@dataclass(frozen=True)
class TaskReceiptFacts:
    """What the public page shows of a task receipt (the recipient's name is masked there)."""

    receipt_no: str
    status: TaskReceiptStatus
    pdf_sha256: str | None
    court: Court
    case: Case
    recipient: Recipient
    service_id: int
    method: str
    served_label: str
    served_at: datetime | None
    effective_at: datetime | None


async def task_receipt_by_number(receipt_no: str) -> TaskReceiptFacts:
    """The public lookup behind the QR code of an in-person receipt."""
    receipt = await TaskReceipt.get_or_none(receipt_no=receipt_no.strip().upper()[:32]).prefetch_related(
        "court", "attempt__recipient", "attempt__service__case")
    if receipt is None:
        raise NotFound("未找到该编号的送达回证：它不是本平台出具的", code="receipt_not_found")
    attempt = receipt.attempt
    return TaskReceiptFacts(
        receipt_no=receipt.receipt_no, status=receipt.status, pdf_sha256=receipt.pdf_sha256, court=receipt.court,
        case=attempt.service.case, recipient=attempt.recipient, service_id=attempt.service_id,
        method=method_text(attempt), served_label="拒收时间" if attempt.method is ServiceMethod.LODGED else "签收时间",
        served_at=attempt.served_at, effective_at=attempt.effective_at)


def check_task_receipt_file(facts: TaskReceiptFacts, pdf: bytes, sealer) -> FileCheck:
    return check_sealed_pdf(facts.status is TaskReceiptStatus.SEALED, facts.pdf_sha256, pdf, sealer)
