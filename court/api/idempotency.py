"""``Idempotency-Key`` with Stripe's rules.

The key is claimed by inserting its row first, inside the same transaction as the work: a
concurrent request with the same key blocks on the unique index until the first commits, then
replays its response. A request that fails validation rolls back and saves nothing (as Stripe
does), so a corrected retry with the same key may proceed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from core.errors import AppError, ValidationFailed
from court.models import ApiClient, IdempotencyRecord

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    client: ApiClient,
    key: str | None,
    fingerprint: str,
    work: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
    *,
    now: datetime,
    ttl: timedelta,
) -> tuple[int, dict[str, Any], bool]:
    """Run ``work`` once per (client, key); return (status, body, replayed)."""
    if key is None:
        async with in_transaction():
            status, body = await work()
        return status, body, False
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key 无效", details=[
            {"field": "Idempotency-Key", "message": f"长度应为 1 至 {MAX_KEY_LENGTH} 个字符"}])

    earlier = await _replay(client, key, fingerprint, now, ttl)
    if earlier:
        return earlier
    try:
        async with in_transaction():
            record = await IdempotencyRecord.create(
                api_client=client, key=key, request_hash=fingerprint, response_status=0, response_body={})
            status, body = await work()
            record.response_status, record.response_body = status, body
            await record.save(update_fields=["response_status", "response_body"])
        return status, body, False
    except (IntegrityError, TransactionManagementError):
        earlier = await _replay(client, key, fingerprint, now, ttl)
        if earlier:
            return earlier
        raise


async def _replay(client, key, fingerprint, now, ttl) -> tuple[int, dict[str, Any], bool] | None:
    record = await IdempotencyRecord.get_or_none(api_client=client, key=key)
    if record is None:
        return None
    if record.created_at < now - ttl:
        # Expired: forget it, the key may be used afresh.
        await IdempotencyRecord.filter(id=record.id).delete()
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused("该 Idempotency-Key 已用于内容不同的请求")
    return record.response_status, record.response_body, True
