"""签收: a recipient signs for a delivery.

The signature image, the per-document signed rows, the audit event, the receipt row and the
"seal this receipt" job commit in one transaction; sealing runs afterwards in a worker
(receipts/worker.py), so the signing request stays fast and a crash leaves either no
signature or a signature whose receipt gets sealed after restart.
"""
from __future__ import annotations

import io
import secrets
from datetime import datetime
from functools import cache

from PIL import Image, UnidentifiedImageError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, announce, event_row
from audit.models import Event
from core.errors import AppError, Conflict, PayloadTooLarge
from core.sql import columns, fetch, insert_values, instance
from documents.storage import Storage
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from service.access import delivery_of_row
from service.choices import DeliveryState, Outcome, ServiceStatus
from service.models import Attempt, Delivery, Receipt, Recipient, RecipientDocument, Service, Signature

MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_SIGNATURE_SIDE = 4096
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A signature must leave ink that spans a real stroke, not a tap or a short dash. "Ink" is a pixel
# that stays dark once the image is laid on white paper (luminance below INK_LUMINANCE of 255),
# so a transparent, white or faint image has none. The ink's bounding box must reach
# MIN_INK_SPAN of the image's shorter side along its longer direction (scale-free: a phone canvas
# at device scale 3 and a mini-program export judge alike), and at least MIN_INK_PIXELS image
# pixels. On the portal's pad (about 330 x 180 CSS px) that is a stroke of about 60 CSS px.
INK_LUMINANCE = 160
MIN_INK_SPAN = 1 / 3
MIN_INK_PIXELS = 24
TOO_LITTLE_INK = "签名笔画过少，请在签名框内用手指写下您的完整姓名后再提交"
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
        with Image.open(io.BytesIO(data)) as image:
            enough = _enough_ink(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BadSignature("签名图片无法读取") from exc
    if not enough:
        raise BadSignature(TOO_LITTLE_INK, code="signature_too_little_ink")


def _enough_ink(image: Image.Image) -> bool:
    """Is there a stroke long enough to be a signature? (thresholds above)"""
    rgba = image.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    ink = Image.alpha_composite(paper, rgba).convert("L").point(lambda v: 255 if v < INK_LUMINANCE else 0)
    box = ink.getbbox()
    if box is None:
        return False
    span = max(box[2] - box[0], box[3] - box[1])
    needed = max(MIN_INK_PIXELS, min(image.size) * MIN_INK_SPAN)
    return span >= needed


def new_receipt_number(now: datetime) -> str:
    # 50 random bits: the public verify page must not be enumerable.
    return "SD" + now.strftime("%Y%m%d") + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(10))


async def sign_delivery(delivery_id: int, signature_png: bytes, *, identity_proof: dict, actor: Actor,
                        meta: RequestMeta, now: datetime, storage: Storage) -> Receipt:
    check_signature_png(signature_png)
    try:
        return await _commit_signature(delivery_id, signature_png, identity_proof=identity_proof,
                                       actor=actor, meta=meta, now=now, storage=storage)
    except IntegrityError as exc:
        # One recipient signing on two channels at the same moment: both pass the "signed
        # elsewhere" check before either commits, and the receipt's one-per-recipient constraint
        # stops the second. The same answer as when the first had already committed.
        raise Conflict("您已签收过该送达，无需重复签收", code="already_signed") from exc


async def _commit_signature(delivery_id: int, signature_png: bytes, *, identity_proof: dict, actor: Actor,
                            meta: RequestMeta, now: datetime, storage: Storage) -> Receipt:
    async with in_transaction():
        rows = await fetch(Delivery, _locked_for_signing_sql(), delivery_id)
        delivery = delivery_of_row(rows[0] if rows else None, now=now, joined=False)
        # Signed here or on another channel (SMS link, portal, mini-program), or a document still
        # unread: read with the lock.
        if delivery.state is DeliveryState.SIGNED or rows[0]["signed_elsewhere"]:
            raise Conflict("您已签收过该送达，无需重复签收", code="already_signed")
        if delivery.state not in (DeliveryState.VERIFIED, DeliveryState.VIEWED):
            raise AppError("请先验证身份", code="not_verified", status=403)
        if rows[0]["unread"]:
            raise Conflict("请先阅读全部文书后再签收", code="documents_unread")
        # After the delivery: every transaction that locks both takes the delivery rows first.
        # The service's columns were read with the delivery (a revocation, which would change
        # them, waits for the delivery lock we hold); this only takes its lock.
        await fetch(Service, _lock_service_sql(), delivery.service_id)
        service = delivery.service
        # Stored once the signature is allowed, so a refusal stores nothing. Never deleted when the
        # statement below fails: a double-tapped 确认签收 sends the same PNG twice, and the tap
        # that commits (it waits for our lock) needs the blob the dropped one wrote. Unreferenced
        # blobs are removed a day later (service/files.py).
        image_key, _ = storage.put(signature_png)
        receipt = Receipt(receipt_no=new_receipt_number(now), court_id=service.court_id, service_id=service.id,
                          recipient_id=delivery.recipient_id, delivery_id=delivery.id)
        signature = Signature(delivery_id=delivery.id, image_sha256=image_key, ip=meta.ip[:64],
                              user_agent=meta.user_agent[:500], identity_proof=identity_proof, signed_at=now)
        event = event_row(EventType.DELIVERY_SIGNED, court_id=service.court_id, service_id=service.id,
                          recipient_id=delivery.recipient_id, delivery_id=delivery.id, actor=actor, meta=meta,
                          data={"receipt_no": receipt.receipt_no})
        job = OutboxJob(kind=JobKind.SEAL_RECEIPT, dedupe_key=f"seal:{receipt.receipt_no}", available_at=now)
        receipt, event = await _write_at_once(delivery, receipt, signature, event, job, now=now)
        await announce(event)
    return receipt


@cache
def _lock_service_sql() -> str:
    return f'SELECT 1 FROM "{Service._meta.db_table}" WHERE "id" = $1 FOR UPDATE'


@cache
def _locked_for_signing_sql() -> str:
    d, s = Delivery._meta.db_table, Service._meta.db_table
    return (f'SELECT {columns(Delivery, "d")}, {columns(Service, "s")}, '
            f'EXISTS (SELECT 1 FROM "{d}" "o" WHERE "o"."recipient_id" = "d"."recipient_id" '
            f'AND "o"."state" = \'{DeliveryState.SIGNED.value}\') AS "signed_elsewhere", '
            f'EXISTS (SELECT 1 FROM "{RecipientDocument._meta.db_table}" "rd" WHERE "rd"."recipient_id" = "d"."recipient_id" '
            f'AND "rd"."first_viewed_at" IS NULL) AS "unread" '
            f'FROM "{d}" "d" JOIN "{s}" "s" ON "s"."id" = "d"."service_id" WHERE "d"."id" = $1 FOR UPDATE OF d')


async def _write_at_once(delivery: Delivery, receipt: Receipt, signature: Signature, event: Event,
                         job: OutboxJob, *, now: datetime) -> tuple[Receipt, Event]:
    """Every write of a signature in one statement (data-modifying CTEs): the delivery, the
    reading rows, the signature, the receipt, the event, the seal job and the service's completion
    (the rule: every recipient has signed on one of their deliveries). Returns the stored receipt
    and event. The SQL text is the same on every call (so asyncpg reuses its prepared statement)."""
    params: list = []

    def values(obj) -> tuple[str, str]:
        names, vals = insert_values(obj)
        start = len(params) + 1
        params.extend(vals)
        return ", ".join(names), ", ".join(f"${n}" for n in range(start, start + len(vals)))

    def param(value) -> str:
        params.append(value)
        return f"${len(params)}"

    at, delivery_id, recipient_id, service_id = param(now), param(delivery.id), param(delivery.recipient_id), \
        param(delivery.service_id)
    signature_columns, signature_values = values(signature)
    receipt_columns, receipt_values = values(receipt)
    event_columns, event_values = values(event)
    job_names, job_vals = insert_values(job)
    job_select = []
    for name, value in zip(job_names, job_vals):
        if name == '"payload"':
            job_select.append('jsonb_build_object(\'receipt_id\', "receipt"."rc.id")')
        elif name == '"event_id"':
            job_select.append('"recorded"."ev.id"')
        else:
            job_select.append(param(value))
    d, rd, sv = Delivery._meta.db_table, RecipientDocument._meta.db_table, Service._meta.db_table
    signed = DeliveryState.SIGNED.value
    sql = (
        f'WITH "moved" AS (UPDATE "{d}" SET "state" = \'{signed}\', "signed_at" = {at} WHERE "id" = {delivery_id}), '
        f'"read" AS (UPDATE "{rd}" SET "signed_at" = {at} WHERE "recipient_id" = {recipient_id}), '
        f'"drawn" AS (INSERT INTO "{Signature._meta.db_table}" ({signature_columns}) VALUES ({signature_values})), '
        f'"receipt" AS (INSERT INTO "{Receipt._meta.db_table}" AS "rc" ({receipt_columns}) VALUES ({receipt_values}) '
        f'RETURNING {columns(Receipt, "rc")}), '
        f'"recorded" AS (INSERT INTO "{Event._meta.db_table}" AS "ev" ({event_columns}) VALUES ({event_values}) '
        f'RETURNING {columns(Event, "ev")}), '
        f'"job" AS (INSERT INTO "{OutboxJob._meta.db_table}" ({", ".join(job_names)}) '
        f'SELECT {", ".join(job_select)} FROM "receipt", "recorded" ON CONFLICT DO NOTHING), '
        # The statement does not see its own writes: this recipient counts as signed by hand.
        f'"completed" AS (UPDATE "{sv}" SET "status" = \'{ServiceStatus.COMPLETED.value}\' WHERE "id" = {service_id} '
        # A recipient served by a service-centre task (centre/handling.py) counts as served too.
        f'AND NOT EXISTS (SELECT 1 FROM "{Recipient._meta.db_table}" "o" WHERE "o"."service_id" = {service_id} '
        f'AND "o"."id" <> {recipient_id} AND NOT EXISTS (SELECT 1 FROM "{d}" "p" '
        f'WHERE "p"."recipient_id" = "o"."id" AND "p"."state" = \'{signed}\') '
        f'AND NOT EXISTS (SELECT 1 FROM "{Attempt._meta.db_table}" "t" WHERE "t"."recipient_id" = "o"."id" '
        f'AND "t"."outcome" = \'{Outcome.SERVED.value}\'))) '
        f'SELECT * FROM "receipt", "recorded"')
    row = (await fetch(Delivery, sql, *params))[0]
    return instance(Receipt, row, "rc"), instance(Event, row, "ev")
