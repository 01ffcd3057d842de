"""The service notice (送达通知短信): a short link per SMS delivery, texted to the phone on file.

Queued as an outbox job when the service is created, so the court's request returns at once and
an SMS outage delays notices instead of failing intake.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import string
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.errors import Conflict
from core.settings import Settings
from core.sql import fetch
from identity.models import SmsTemplate
from identity.pii_keys import pii_cipher
from identity.sms.gateway import SmsGateway, SmsRejected, SmsUnavailable
from identity.sms.sending import send_sms
from jobs.consumer import run_batch
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.registry import JobContext, JobType, RetryRule, one_at_a_time
from service.access import live_delivery, service_of
from service.choices import Channel, DeliveryState
from service.delivery_states import ENDED, can_move, move
from service.models import Case, Court, Delivery, Recipient, Service, ShortLink

log = logging.getLogger(__name__)
_BASE62 = string.digits + string.ascii_letters
TOKEN_LENGTH = 22  # 22 × log2(62) ≈ 131 bits of randomness


def new_token() -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(TOKEN_LENGTH))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def linked_delivery(token: str) -> tuple[int, int] | None:
    """(delivery id, recipient id) behind the short-link ``token``, or None: the first thing every
    SMS link asks, in one fixed statement (core/sql.py)."""
    if len(token) > 64:
        return None
    rows = await fetch(ShortLink, _linked_sql(), token_hash(token))
    return (rows[0]["delivery_id"], rows[0]["recipient_id"]) if rows else None


@cache
def _linked_sql() -> str:
    return (f'SELECT "l"."delivery_id", "d"."recipient_id" FROM "{ShortLink._meta.db_table}" "l" '
            f'JOIN "{Delivery._meta.db_table}" "d" ON "d"."id" = "l"."delivery_id" WHERE "l"."token_hash" = $1')


async def create_short_link(delivery: Delivery, *, now: datetime) -> str:
    token = new_token()
    await ShortLink.create(token_hash=token_hash(token), delivery=delivery, created_at=now)
    return token


async def send_notice(delivery_id: int, *, gateway: SmsGateway, settings: Settings, now: datetime) -> str | None:
    """Text the notice for one SMS delivery; returns the link token, or None when nothing was sent
    (already notified, revoked, expired). A provider refusal fails the delivery with its reason;
    an outage raises SmsUnavailable so the job is retried."""
    delivery = await Delivery.get(id=delivery_id)
    if delivery.channel is not Channel.SMS or not can_move(delivery.state, DeliveryState.NOTIFIED) \
            or delivery.state is not DeliveryState.CREATED:
        return None
    service = await Service.get(id=delivery.service_id)
    court = await Court.get(id=service.court_id)
    case = await Case.get(id=service.case_id)
    recipient = await Recipient.get(id=delivery.recipient_id)
    phone = pii_cipher(settings).decrypt(recipient.phone_cipher, context="phone")
    token = await create_short_link(delivery, now=now)
    link = f"{settings.public_base_url.rstrip('/')}/s/{token}"
    params = {"court": court.name, "case_number": case.case_number, "link": link}
    try:
        message = await send_sms(gateway, phone=phone, template=SmsTemplate.SERVICE_NOTICE, params=params,
                                 delivery_id=delivery.id, settings=settings, now=now)
    except SmsRejected as exc:
        await _record(delivery, DeliveryState.FAILED, EventType.DELIVERY_FAILED, now,
                      {"error": exc.code}, failure_reason=f"短信发送失败：{exc.message}")
        return None
    await _record(delivery, DeliveryState.NOTIFIED, EventType.DELIVERY_NOTIFIED, now,
                  {"sms_message_id": message.id, "segments": message.segments})
    return token


class NoticeNotResendable(Conflict):
    code = "notice_not_resendable"


async def resend_notice(delivery_id: int, *, gateway: SmsGateway, settings: Settings, actor: Actor,
                        meta: RequestMeta, now: datetime) -> None:
    """A clerk texts the notice again (the litigant lost the SMS): a new link to the same delivery,
    the old one still works. Only SMS deliveries of a live service, not yet signed."""
    delivery = await live_delivery(delivery_id, now=now)
    if delivery.channel is not Channel.SMS:
        raise NoticeNotResendable("只有短信送达可以重发通知", code="not_sms")
    if delivery.state in ENDED or delivery.state is DeliveryState.FAILED:
        raise NoticeNotResendable(f"该送达{delivery.state.label}，不能重发通知")
    if delivery.state is DeliveryState.CREATED:
        await send_notice(delivery.id, gateway=gateway, settings=settings, now=now)  # the first one
        return
    service = await service_of(delivery)
    case = await Case.get(id=service.case_id).select_related("court")
    recipient = await Recipient.get(id=delivery.recipient_id)
    token = await create_short_link(delivery, now=now)
    params = {"court": case.court.name, "case_number": case.case_number,
              "link": f"{settings.public_base_url.rstrip('/')}/s/{token}"}
    message = await send_sms(gateway, phone=pii_cipher(settings).decrypt(recipient.phone_cipher, context="phone"),
                             template=SmsTemplate.SERVICE_NOTICE, params=params, delivery_id=delivery.id,
                             settings=settings, now=now)
    await record_event(EventType.DELIVERY_NOTICE_RESENT, court_id=service.court_id, service_id=service.id,
                       recipient_id=delivery.recipient_id, delivery_id=delivery.id, actor=actor, meta=meta,
                       data={"sms_message_id": message.id, "phone_masked": recipient.phone_masked})


async def _record(delivery: Delivery, state: DeliveryState, event: EventType, now: datetime, data: dict,
                  failure_reason: str = "") -> None:
    async with in_transaction():
        fresh = await Delivery.get(id=delivery.id).select_for_update()
        if not can_move(fresh.state, state):
            return
        move(fresh, state, now)
        fresh.failure_reason = failure_reason or fresh.failure_reason
        await fresh.save(update_fields=["state", f"{state.value}_at", "failure_reason"])
        service = await Service.get(id=fresh.service_id)
        await record_event(event, court_id=service.court_id, service_id=service.id,
                           recipient_id=fresh.recipient_id, delivery_id=fresh.id, actor=Actor.system(),
                           meta=RequestMeta.none(), data=data)


async def _notice_job(job: OutboxJob, ctx: JobContext) -> bool:
    return bool(await send_notice(job.payload["delivery_id"], gateway=ctx.providers.sms_gateway,
                                  settings=ctx.settings, now=ctx.now))


# An SMS outage is waited out (SmsUnavailable: retried, slower than a bug); the batch is drained
# for up to half a second a tick, since notices come one per SMS recipient of every new service.
NOTICE_JOBS = JobType(
    JobKind.NOTIFY_SMS, one_at_a_time(_notice_job, transient=(SmsUnavailable,), reason=lambda exc: exc.message),
    batch=20, lease=timedelta(minutes=2), retry=RetryRule(base=timedelta(seconds=30), cap=timedelta(minutes=30)),
    budget=0.5)


async def send_pending_notices(*, gateway: SmsGateway, settings: Settings, worker_id: str, now: datetime,
                               limit: int = 20) -> int:
    """One batch now, through the consumer's path (tests, demo)."""
    _, sent = await run_batch(NOTICE_JOBS, JobContext(SimpleNamespace(sms_gateway=gateway), settings, worker_id, now),
                              limit=limit)
    return sent
