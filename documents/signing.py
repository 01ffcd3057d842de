"""签收: a recipient signs for a delivery.

The signature image, the per-document signed rows, the audit event, the receipt row and the
"seal this receipt" job commit in one transaction; sealing runs afterwards in a worker
(documents/receipts/worker.py), so the signing request stays fast and a crash leaves either no
signature or a signature whose receipt gets sealed after restart.
"""
from __future__ import annotations

import io
import secrets
from datetime import datetime
from functools import cache

from PIL import Image, UnidentifiedImageError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from app.errors import AppError, Conflict, PayloadTooLarge
from app.sql import fetch
from documents.access import live_delivery
from documents.choices import DeliveryState, EventType, JobKind, ServiceStatus
from documents.delivery_states import move
from documents.events import Actor, RequestMeta, record_event
from documents.models import Delivery, Receipt, RecipientDocument, Service, Signature
from documents.outbox import enqueue
from documents.storage import Storage

MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_SIGNATURE_SIDE = 4096
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Crockford's base32 without look-alikes: receipt numbers are read aloud and typed by clerks.
_RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class BadSignature(AppError):
    status = 422
    code = "signature_invalid"


def check_signature_png(data: bytes) -> None:
    if len(data) > MAX_SIGNATURE_BYTES:
        raise PayloadTooLarge("签名图片不能超过 1 MB", code="signature_too_large")
    if not data.startswith(_PNG_MAGIC):
        raise BadSignature("签名图片必须是 PNG 格式")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise BadSignature("签名图片必须是 PNG 格式")
            width, height = image.size
            if width > MAX_SIGNATURE_SIDE or height > MAX_SIGNATURE_SIDE or width * height == 0:
                raise BadSignature("签名图片尺寸无效")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise BadSignature("签名图片无法读取") from exc


def new_receipt_number(now: datetime) -> str:
    # 50 random bits: the public verify page must not be enumerable.
    return "SD" + now.strftime("%Y%m%d") + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(10))


async def sign_delivery(delivery_id: int, signature_png: bytes, *, identity_proof: dict, actor: Actor,
                        meta: RequestMeta, now: datetime, storage: Storage) -> Receipt:
    check_signature_png(signature_png)
    image_key, created_blob = storage.put(signature_png)
    try:
        return await _commit_signature(delivery_id, image_key, identity_proof=identity_proof,
                                       actor=actor, meta=meta, now=now)
    except BaseException:
        if created_blob and not await Signature.filter(image_sha256=image_key).exists():
            storage.delete(image_key)
        raise


async def _commit_signature(delivery_id: int, image_key: str, *, identity_proof: dict, actor: Actor,
                            meta: RequestMeta, now: datetime) -> Receipt:
    async with in_transaction():
        delivery = await live_delivery(delivery_id, now=now, for_update=True)
        if delivery.state is DeliveryState.SIGNED:
            raise Conflict("您已签收过该送达，无需重复签收", code="already_signed")
        # Signed on another channel (SMS link, portal, mini-program), or a document still unread:
        # one read for both.
        check = (await fetch(Delivery, _sign_check_sql(), delivery.recipient_id, DeliveryState.SIGNED.value))[0]
        if check["signed_elsewhere"]:
            raise Conflict("您已签收过该送达，无需重复签收", code="already_signed")
        if delivery.state not in (DeliveryState.VERIFIED, DeliveryState.VIEWED):
            raise AppError("请先验证身份", code="not_verified", status=403)
        if check["unread"]:
            raise Conflict("请先阅读全部文书后再签收", code="documents_unread")
        # After the delivery: every transaction that locks both takes the delivery rows first.
        service = await Service.get(id=delivery.service_id).select_for_update()

        move(delivery, DeliveryState.SIGNED, now)
        await delivery.save(update_fields=["state", "signed_at"])
        await RecipientDocument.filter(recipient_id=delivery.recipient_id).update(signed_at=now)
        await Signature.create(delivery=delivery, image_sha256=image_key, ip=meta.ip[:64],
                               user_agent=meta.user_agent[:500], identity_proof=identity_proof, signed_at=now)
        receipt = await Receipt.create(receipt_no=new_receipt_number(now), court_id=service.court_id,
                                       service=service, recipient_id=delivery.recipient_id, delivery=delivery)
        event = await record_event(EventType.DELIVERY_SIGNED, court_id=service.court_id, service_id=service.id,
                                   recipient_id=delivery.recipient_id, delivery_id=delivery.id, actor=actor,
                                   meta=meta, data={"receipt_no": receipt.receipt_no})
        await enqueue(JobKind.SEAL_RECEIPT, f"seal:{receipt.receipt_no}", {"receipt_id": receipt.id},
                      now=now, event_id=event.id)
        if not await _unsigned_recipients(service.id):
            service.status = ServiceStatus.COMPLETED
            await service.save(update_fields=["status"])
    return receipt


@cache
def _sign_check_sql() -> str:
    return (f'SELECT EXISTS (SELECT 1 FROM "{Delivery._meta.db_table}" WHERE "recipient_id" = $1 AND "state" = $2) '
            'AS "signed_elsewhere", '
            f'EXISTS (SELECT 1 FROM "{RecipientDocument._meta.db_table}" WHERE "recipient_id" = $1 '
            'AND "first_viewed_at" IS NULL) AS "unread"')


async def _unsigned_recipients(service_id: int) -> bool:
    """Whether a recipient of the service has not signed on any of their deliveries."""
    signed = Delivery.filter(service_id=service_id, state=DeliveryState.SIGNED).values("recipient_id")
    return await Delivery.filter(service_id=service_id).exclude(recipient_id__in=Subquery(signed)).exists()
