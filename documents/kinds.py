"""What kind of legal document a file is (文书种类)."""
from __future__ import annotations

from core.enums import LabelledEnum


class DocumentKind(LabelledEnum):
    SUMMONS = "summons", "传票"
    NOTICE_TO_RESPOND = "notice_to_respond", "应诉通知书"
    NOTICE_OF_EVIDENCE = "notice_of_evidence", "举证通知书"
    COMPLAINT_COPY = "complaint_copy", "起诉状副本"
    JUDGMENT = "judgment", "判决书"
    RULING = "ruling", "裁定书"
    MEDIATION = "mediation", "调解书"
    ADDRESS_CONFIRMATION = "address_confirmation", "送达地址确认书"
    OTHER = "other", "其他"
