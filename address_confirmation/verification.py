"""Public check of a 送达地址确认书 (the QR code on it): what the platform recorded, masked, and
whether a PDF someone holds is the one the court sealed."""
from __future__ import annotations

import hashlib
import re

from addresses.models import AddressConfirmation
from core.errors import NotFound
from receipts.verification import MAX_UPLOAD_BYTES, FileCheck

_NUMBER = re.compile(r"DZ[0-9]{8}[0-9A-Z]{10}")


async def confirmation_by_number(number: str) -> AddressConfirmation:
    found = await AddressConfirmation.get_or_none(confirmation_no=number).prefetch_related(
        "court", "case") if _NUMBER.fullmatch(number or "") else None
    if found is None:
        raise NotFound("未找到该送达地址确认书", code="confirmation_not_found")
    return found


def check_confirmation_file(confirmation: AddressConfirmation, pdf: bytes, sealer) -> FileCheck:
    if len(pdf) > MAX_UPLOAD_BYTES:
        return FileCheck(False, "文件过大，不是本平台出具的送达地址确认书")
    seal = sealer.check(pdf)
    if not seal.ok:
        return FileCheck(False, f"电子印章核验未通过：{seal.reason}")
    if hashlib.sha256(pdf).hexdigest() != confirmation.pdf_sha256:
        return FileCheck(False, "电子印章有效，但文件与本编号确认书的存档不一致")
    return FileCheck(True, "文件与平台存档完全一致，电子印章有效")
