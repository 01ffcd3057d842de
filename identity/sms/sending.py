"""Use cases: send a text and record it; read the carrier's reports back onto the texts.

``SmsMessage`` keeps what was asked and what the carrier said, never a phone or a code in
the clear. A carrier's arrival report is the evidence behind 已送达终端 (在线诉讼规则 art.
31: a court-found address counts as served once the text is shown to have arrived), so the
carrier's own time is what the delivery records. Moving the delivery is the service domain's
business (``service/sms_reports.py``): this module hands each applied report to it as data.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from core.settings import Settings
from core.sql import insert
from identity.models import SmsMessage, SmsStatus, SmsTemplate
from identity.phones import InvalidPhone, mask_phone, normalize_mobile
from identity.pii_keys import pii_cipher
from identity.sms.gateway import DeliveryReport, SmsGateway, SmsRejected, SmsUnavailable
from identity.sms.templates import render, segments

__all__ = ["AppliedReport", "send_sms", "sync_delivery_reports"]

log = logging.getLogger(__name__)
CHINA_TZ = ZoneInfo("Asia/Shanghai")
MASKED_CODE = "******"
# Near midnight our clock and the provider's may disagree on the date a text was sent.
_MIDNIGHT_SLACK = timedelta(minutes=5)


async def send_sms(
    gateway: SmsGateway,
    *,
    phone: str,
    template: SmsTemplate,
    params: Mapping[str, str],
    delivery_id: int | None = None,
    settings: Settings,
    now: datetime,
) -> SmsMessage:
    """Send one text and store it as SENT; a refused text is stored as REJECTED and re-raised.

    A network failure (``SmsUnavailable``) stores nothing: whether the text went out is
    unknown, and the caller decides whether to try again.
    """
    try:
        phone = normalize_mobile(phone)
    except InvalidPhone as exc:
        raise SmsRejected("手机号码无效，短信无法发送", code="sms_phone_invalid", status=422) from exc
    text = render(template, params, sign_name=gateway.sign_name)
    cipher = pii_cipher(settings)
    message = SmsMessage(
        delivery_id=delivery_id,
        template=template,
        provider=gateway.provider,
        phone_cipher=cipher.encrypt(phone, context="phone"),
        phone_index=cipher.blind_index(phone, context="phone"),
        phone_masked=mask_phone(phone),
        params={k: MASKED_CODE if k == "code" else v for k, v in params.items()},
        segments=segments(text),
        sent_at=now,
    )
    try:
        result = await gateway.send(phone, template, params)
    except SmsRejected as exc:
        message.status = SmsStatus.REJECTED
        message.error_code = (exc.provider_code or exc.code)[:64]
        await message.save()
        log.warning("sms %s rejected by %s: %s (delivery %s)",
                    message.id, gateway.provider, message.error_code, delivery_id)
        raise
    message.status = SmsStatus.SENT
    message.provider_message_id = result.provider_message_id
    await insert(message)
    log.info("sms %s sent by %s as %s (delivery %s, %d parts)", message.id, gateway.provider,
             result.provider_message_id, delivery_id, message.segments)
    return message


@dataclass(frozen=True)
class AppliedReport:
    """A carrier's final report, recorded on its text: what a delivery needs to move."""

    sms_message_id: int
    delivery_id: int | None
    status: SmsStatus  # DELIVERED or FAILED
    received_at: datetime | None  # the carrier's time for the report (arrival or failure)
    error_code: str


OnApplied = Callable[[AppliedReport], Awaitable[None]]


async def sync_delivery_reports(
    gateway: SmsGateway,
    *,
    settings: Settings,
    now: datetime,
    max_age: timedelta = timedelta(days=2),
    on_applied: OnApplied | None = None,
) -> list[AppliedReport]:
    """Ask the gateway about every text still SENT and record what the carrier says.

    Returns the reports that changed an ``SmsMessage`` row. ``on_applied`` runs for each in the
    transaction that records it, so what the caller does with a report (the service domain moves
    its delivery) commits with it or not at all. Safe to run again, and from two workers: each
    row moves out of SENT at most once.
    """
    pending = await SmsMessage.filter(
        status=SmsStatus.SENT, sent_at__gte=now - max_age, provider_message_id__isnull=False,
    ).order_by("id")
    # Grouped by (phone, day) so each number is decrypted once. Each text is still asked
    # about by its own BizId: Aliyun's detail rows do not say which BizId they belong to.
    groups: dict[tuple[str, date], list[SmsMessage]] = {}
    for message in pending:
        day = message.sent_at.astimezone(CHINA_TZ).date()
        groups.setdefault((message.phone_index, day), []).append(message)

    cipher = pii_cipher(settings)
    applied: list[AppliedReport] = []
    for messages in groups.values():
        phone = cipher.decrypt(messages[0].phone_cipher, context="phone")
        for message in messages:
            try:
                report = await _final_report(gateway, phone, message)
            except SmsUnavailable:
                log.warning("sms reports: %s unavailable, stopping at sms %s", gateway.provider, message.id)
                return applied
            except SmsRejected as exc:
                log.warning("sms reports: query for sms %s refused: %s", message.id, exc.provider_code or exc.code)
                continue
            if report is not None:
                done = await _apply(message, report, now, on_applied)
                if done is not None:
                    applied.append(done)
    return applied


async def _final_report(gateway: SmsGateway, phone: str, message: SmsMessage) -> DeliveryReport | None:
    """The carrier's DELIVERED or FAILED report for ``message``, or None while pending."""
    local = message.sent_at.astimezone(CHINA_TZ)
    days = [local.date()]
    if (local + _MIDNIGHT_SLACK).date() != local.date():
        days.append(local.date() + timedelta(days=1))
    for day in days:
        reports = await gateway.query_reports(phone, day, message.provider_message_id)
        for report in reports:
            if report.provider_message_id not in (None, message.provider_message_id):
                continue
            if report.status in (SmsStatus.DELIVERED, SmsStatus.FAILED):
                return report
        if reports:
            return None  # found on this day, just not final yet
    return None


async def _apply(message: SmsMessage, report: DeliveryReport, now: datetime,
                 on_applied: OnApplied | None) -> AppliedReport | None:
    delivered = report.status is SmsStatus.DELIVERED
    applied = AppliedReport(
        sms_message_id=message.id, delivery_id=message.delivery_id, status=report.status,
        received_at=report.received_at, error_code=report.error_code,
    )
    async with in_transaction():
        # Compare-and-set: only the run that moves the row out of SENT hands the report on.
        updated = await SmsMessage.filter(id=message.id, status=SmsStatus.SENT).update(
            status=report.status, received_at=report.received_at if delivered else None, reported_at=now,
            error_code=report.error_code[:64],
        )
        if not updated:
            return None
        if on_applied is not None:
            await on_applied(applied)
    log.info("sms %s %s", message.id, report.status.value)
    return applied
