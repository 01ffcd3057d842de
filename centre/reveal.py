"""查看: an outsourced staff member sees a recipient's phone, ID number or address only on purpose.

Pages show masked values. Pressing 查看 with a reason decrypts one value for one task the caller
may see, and records who saw what, why and when (``pii.revealed``), which the court can list.
"""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta
from centre.scope import Scope
from centre.tasks import record_task_event, task_in_scope
from core.errors import NotFound, ValidationFailed
from core.settings import Settings
from identity.pii_keys import pii_cipher
from service.models import Recipient

FIELDS = {"phone": "手机号码", "id_number": "证件号码", "address": "送达地址"}
TOKENS = {"phone": "phone_cipher", "id_number": "id_number_cipher", "address": "address_cipher"}
MIN_REASON, MAX_REASON = 2, 200


async def reveal_recipient_field(scope: Scope, attempt_id: int, field: str, reason: str, *, settings: Settings,
                                 now: datetime, meta: RequestMeta) -> str:
    """The plaintext ``field`` of the task's recipient, recorded with the reason."""
    if field not in FIELDS:
        raise ValidationFailed("只能查看手机号码、证件号码或送达地址", code="reveal_field_invalid")
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise ValidationFailed(f"请填写查看原因（{MIN_REASON}–{MAX_REASON}字）", code="reveal_reason_required")
    attempt = await task_in_scope(scope, attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    token = getattr(recipient, TOKENS[field])
    if not token:
        raise NotFound(f"该受送达人没有登记{FIELDS[field]}", code="reveal_field_empty")
    value = pii_cipher(settings).decrypt(token, context=field)
    async with in_transaction():
        await record_task_event(EventType.PII_REVEALED, attempt, scope, meta,
                                {"field": field, "reason": reason, "at": now.isoformat()})
    return value
