"""The staff member's own phone (工作人员电话), which click-to-call rings first. Encrypted like PII;
pages show the mask. Staff accounts belong to the console surface, so it is read and written by SQL."""
from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import RequestMeta, record_event
from centre.scope import Scope
from core.errors import ValidationFailed
from core.settings import Settings
from core.sql import fetch
from identity.pii_keys import pii_cipher
from phone.telephony import InvalidNumber, mask_number, normalize_number
from service.models import Attempt

PHONE_CONTEXT = "staff_phone"


async def set_own_phone(scope: Scope, raw: str, *, settings: Settings, now: datetime, meta: RequestMeta) -> str:
    """登记本人电话: the number the platform rings first; returns its mask."""
    try:
        number = normalize_number(raw)
    except InvalidNumber as exc:
        raise ValidationFailed("请填写有效的手机或固定电话号码", code="staff_phone_invalid",
                               details=[{"field": "phone", "message": exc.message}]) from exc
    masked = mask_number(number)
    async with in_transaction():
        await fetch(Attempt, 'UPDATE "staff_account" SET "phone_cipher" = $1, "phone_masked" = $2 WHERE "id" = $3 '
                    'RETURNING "id"', pii_cipher(settings).encrypt(number, context=PHONE_CONTEXT), masked,
                    scope.staff_id)
        court_id = scope.court_id
        if court_id is None:
            rows = await fetch(Attempt, 'SELECT "court_id" FROM "staff_account" WHERE "id" = $1', scope.staff_id)
            court_id = rows[0]["court_id"]
        await record_event(EventType.STAFF_PHONE_SET, court_id=court_id, actor=scope.actor, meta=meta,
                           data={"staff_id": scope.staff_id, "phone_masked": masked, "at": now.isoformat()})
    return masked


async def staff_phone(staff_id: int, settings: Settings) -> str | None:
    """The staff member's number in the clear, for the provider only; None when none is on file."""
    rows = await fetch(Attempt, 'SELECT "phone_cipher" FROM "staff_account" WHERE "id" = $1', staff_id)
    if not rows or not rows[0]["phone_cipher"]:
        return None
    return pii_cipher(settings).decrypt(rows[0]["phone_cipher"], context=PHONE_CONTEXT)


async def staff_phone_masked(staff_id: int) -> str:
    rows = await fetch(Attempt, 'SELECT "phone_masked" FROM "staff_account" WHERE "id" = $1', staff_id)
    return rows[0]["phone_masked"] if rows else ""
