"""Public verification of a receipt (送达回证核验): what the platform recorded, and whether a PDF
someone holds is the one we sealed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from service.choices import ReceiptStatus
from service.models import Receipt

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileCheck:
    consistent: bool
    reason: str


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*: a public page names no one in full."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def verify_url(public_base_url: str, receipt_no: str) -> str:
    """The public page a receipt's QR code points to: one route for every receipt number, whether
    the receipt is electronic (``Receipt``) or of an in-person task (``TaskReceipt``)."""
    return f"{public_base_url.rstrip('/')}/verify/{receipt_no}"


def check_file(receipt: Receipt, pdf: bytes, sealer) -> FileCheck:
    return check_sealed_pdf(receipt.status is ReceiptStatus.SEALED, receipt.pdf_sha256, pdf, sealer)


def check_sealed_pdf(sealed: bool, pdf_sha256: str | None, pdf: bytes, sealer) -> FileCheck:
    """Whether ``pdf`` is the receipt we sealed and stored under ``pdf_sha256``, seal intact."""
    if not sealed or not pdf_sha256:
        return FileCheck(False, "该回证尚未生成，暂无可核验的文件")
    if len(pdf) > MAX_UPLOAD_BYTES:
        return FileCheck(False, "文件过大，不是本平台出具的送达回证")
    seal = sealer.check(pdf)
    same_bytes = hashlib.sha256(pdf).hexdigest() == pdf_sha256
    if same_bytes and seal.ok:
        return FileCheck(True, "文件与平台存档完全一致，电子印章有效")
    if not seal.ok:
        return FileCheck(False, f"电子印章核验未通过：{seal.reason}")
    return FileCheck(False, "电子印章有效，但文件与本编号回证的存档不一致（可能是另一份回证）")
