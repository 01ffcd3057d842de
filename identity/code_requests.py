"""Sending a one-time code by SMS, within the abuse limits (验证码发送限制).

Each limit guards against a different abuse: the cooldown against double taps, the per-phone
limits against bombing one person's phone, the per-IP limit against one machine, the
per-prefix limit against walking a number range (138 1234 0000…9999) from many machines,
and the daily budget against a bill nobody planned for.

A login for a phone we do not know must look exactly like one we do (no account
enumeration): same limits keyed the same way, same return, and a code is even stored so
that guessing it fails the same way, but no text is sent and no budget spent.

Limits are spent in order, in one call to the backend (one Redis round trip): a request refused
by a later limit has already spent the earlier ones (its cooldown included), and none after it.
That errs towards fewer texts and needs no second round trip.

``request_code`` texts on the request path; it serves callers that already know the phone is on
file (a delivery's phone, a mini-program binding). A login by phone, where the phone may be
anybody's, uses ``issue_pending_code`` instead: it does the same work for every phone (the same
limits, the same statements, the same HMAC) and texts nothing. It returns a ``PendingCode``
(phone and code encrypted with the PII cipher, never in the clear), which the caller queues;
the background job decides whether the phone is on file and, only then, spends one text of the
daily budget and sends it (``text_pending_code``). Unknown phones never count against the
budget (they cost nothing), but while the budget is spent every phone is refused alike.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from core.errors import ValidationFailed
from identity.codes import ensure_not_locked, store_code
from identity.limits import Claim, Hit, LimitBackend, LimitResult, RateLimited
from identity.models import CodePurpose, SmsTemplate
from identity.phones import InvalidPhone, normalize_mobile
from identity.pii_keys import pii_cipher

if TYPE_CHECKING:
    from core.settings import Settings
    from identity.sms.gateway import SmsGateway

__all__ = ["PendingCode", "issue_pending_code", "request_code", "text_pending_code"]

log = logging.getLogger(__name__)

COOLDOWN = timedelta(seconds=60)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PER_PHONE_HOURLY = 5
PER_PHONE_DAILY = 10
PER_IP_HOURLY = 20
PER_PREFIX_HOURLY = 30
BUDGET_WARNING_SHARE = 0.8
BUDGET_KEY = "sms:daily-budget"
CODE_CONTEXT = "one_time_code"  # the PII cipher's associated data for a code waiting to be texted

Sender = Callable[..., Awaitable[Any]]


def _code_steps(purpose: CodePurpose, subject: str, phone_key: str, client_ip: str) -> list:
    """The limits every code request spends, in order, each with its refusal's code and message."""
    return [
        (Claim(f"code:cooldown:{CodePurpose(purpose).value}:{subject}", COOLDOWN),
         "code_cooldown", "验证码发送过于频繁，请{s}秒后再试"),
        (Hit(f"code:phone-hour:{phone_key}", PER_PHONE_HOURLY, HOUR),
         "phone_hourly_limit", "该手机号获取验证码次数过多，请{s}秒后再试"),
        (Hit(f"code:phone-day:{phone_key}", PER_PHONE_DAILY, DAY),
         "phone_daily_limit", "该手机号今日获取验证码次数已达上限，请{s}秒后再试"),
        (Hit(f"code:ip:{client_ip}", PER_IP_HOURLY, HOUR), "ip_rate_limited", "请求过于频繁，请{s}秒后再试"),
    ]


def _prefix_step(prefix_key: str) -> tuple:
    """A number range (all but the last four digits): one sender walking many numbers."""
    return (Hit(f"code:prefix:{prefix_key}", PER_PREFIX_HOURLY, HOUR), "prefix_rate_limited",
            "请求过于频繁，请{s}秒后再试")


async def request_code(
    *,
    purpose: CodePurpose,
    subject: str,
    phone: str | None,
    client_ip: str,
    gateway: SmsGateway,
    limits: LimitBackend,
    settings: Settings,
    now: datetime,
    sender: Sender | None = None,
) -> None:
    """Issue a code for (purpose, subject) and text it to ``phone``; None means unknown phone.

    Raises a 429 ``RateLimited`` (``details["retry_after"]`` in seconds) when a limit is hit,
    ``SubjectLocked`` while verification is locked, and whatever ``sender`` raises.
    ``sender`` defaults to ``identity.sms.sending.send_sms``.
    """
    if phone is not None:
        try:
            phone = normalize_mobile(phone)
        except InvalidPhone as exc:
            raise ValidationFailed("手机号码无效", details=[{"field": "phone", "message": exc.message}]) from exc
    await ensure_not_locked(purpose, subject, now=now)
    cipher = pii_cipher(settings)
    # For a login the subject is the phone's blind index, so an unknown phone is counted
    # under the same key a known one would be.
    phone_key = cipher.blind_index(phone, context="phone") if phone is not None else subject

    steps = _code_steps(purpose, subject, phone_key, client_ip)
    if phone is not None:
        prefix_key = cipher.blind_index(phone[:-4], context="phone_prefix")
        steps += [
            _prefix_step(prefix_key),
            (Hit(BUDGET_KEY, settings.sms_daily_budget, DAY), "sms_budget_exhausted",
             "今日短信发送量已达上限，请{s}秒后再试"),
        ]
    results = await limits.spend([step for step, _, _ in steps], now=now)
    for (_, code, message), result in zip(steps, results):
        _check(result, code, message)

    ttl = timedelta(seconds=settings.code_ttl_seconds)
    if phone is None:
        await store_code(purpose, subject, settings=settings, now=now, ttl=ttl)  # never sent: see module docstring
        return
    _log_budget(results[-1])

    code = await store_code(purpose, subject, settings=settings, now=now, ttl=ttl)
    if sender is None:
        # Imported here: the SMS package is optional for everything else in this module.
        from identity.sms.sending import send_sms as sender
    await sender(gateway, phone=phone, template=SmsTemplate.CODE,
                 params={"code": code, "minutes": str(ttl // timedelta(minutes=1))}, settings=settings,
                 now=now)


@dataclass(frozen=True)
class PendingCode:
    """A code issued and not yet texted: what a background job needs to text it. The phone and
    the code are encrypted (PII cipher, each with its own context); the subject for a login is
    the phone's blind index."""

    purpose: CodePurpose
    subject: str
    phone_cipher: str
    code_cipher: str
    minutes: int
    expires_at: datetime

    def payload(self) -> dict:
        return {"purpose": CodePurpose(self.purpose).value, "subject": self.subject, "phone": self.phone_cipher,
                "code": self.code_cipher, "minutes": self.minutes, "expires_at": self.expires_at.isoformat()}

    @classmethod
    def from_payload(cls, payload: dict) -> PendingCode:
        return cls(CodePurpose(payload["purpose"]), payload["subject"], payload["phone"], payload["code"],
                   int(payload["minutes"]), datetime.fromisoformat(payload["expires_at"]))


async def issue_pending_code(
    *,
    purpose: CodePurpose,
    subject: str,
    phone: str,
    client_ip: str,
    limits: LimitBackend,
    settings: Settings,
    now: datetime,
    queue: Callable[[PendingCode], Awaitable[None]],
) -> PendingCode:
    """Issue a code for (purpose, subject) without texting it: the same steps whether or not
    ``phone`` is on file (module docstring). ``queue`` runs in the transaction that stores the
    code (the caller queues the job that will text it). Raises ``ValidationFailed`` for a malformed phone,
    ``SubjectLocked`` while locked, a 429 ``RateLimited`` when a limit is hit or the day's text
    budget is spent (looked at, not spent: the job spends it when it texts)."""
    try:
        phone = normalize_mobile(phone)
    except InvalidPhone as exc:
        raise ValidationFailed("手机号码无效", details=[{"field": "phone", "message": exc.message}]) from exc
    await ensure_not_locked(purpose, subject, now=now)
    cipher = pii_cipher(settings)
    phone_key = cipher.blind_index(phone, context="phone")
    prefix_key = cipher.blind_index(phone[:-4], context="phone_prefix")
    steps = _code_steps(purpose, subject, phone_key, client_ip) + [_prefix_step(prefix_key)]
    results = await limits.spend([step for step, _, _ in steps], now=now)
    for (_, code, message), result in zip(steps, results):
        _check(result, code, message)
    _check(await limits.peek(BUDGET_KEY, settings.sms_daily_budget, DAY, now=now), "sms_budget_exhausted",
           "今日短信发送量已达上限，请{s}秒后再试")
    ttl = timedelta(seconds=settings.code_ttl_seconds)
    # The limits above stay spent whatever happens next; the code and its queued text commit together.
    async with in_transaction():
        code = await store_code(purpose, subject, settings=settings, now=now, ttl=ttl)
        pending = PendingCode(purpose, subject, cipher.encrypt(phone, context="phone"),
                              cipher.encrypt(code, context=CODE_CONTEXT), ttl // timedelta(minutes=1), now + ttl)
        await queue(pending)
    return pending


async def text_pending_code(
    pending: PendingCode,
    *,
    gateway: SmsGateway,
    limits: LimitBackend,
    settings: Settings,
    now: datetime,
    sender: Sender | None = None,
) -> bool:
    """Text a ``PendingCode`` to its phone (the caller has checked the phone is on file),
    spending one text of the daily budget. False, with nothing sent, when the code has expired
    or the budget ran out since it was issued; raises whatever ``sender`` raises."""
    if pending.expires_at <= now:
        log.warning("login code expired before it could be texted (%s)", CodePurpose(pending.purpose).value)
        return False
    spent = await limits.hit(BUDGET_KEY, settings.sms_daily_budget, DAY, now=now)
    if not spent.allowed:
        logging.getLogger("songda.security").warning("code not texted: sms_budget_exhausted")
        return False
    _log_budget(spent)
    cipher = pii_cipher(settings)
    if sender is None:
        from identity.sms.sending import send_sms as sender
    await sender(gateway, phone=cipher.decrypt(pending.phone_cipher, context="phone"), template=SmsTemplate.CODE,
                 params={"code": cipher.decrypt(pending.code_cipher, context=CODE_CONTEXT),
                         "minutes": str(pending.minutes)},
                 settings=settings, now=now)
    return True


def _check(result: LimitResult, code: str, message: str) -> None:
    if not result.allowed:
        logging.getLogger("songda.security").warning("code request refused: %s (retry after %ss)",
                                                     code, result.retry_after)
        raise RateLimited(message.format(s=result.retry_after), code=code,
                          details={"retry_after": result.retry_after})


def _log_budget(spent: LimitResult) -> None:
    # Each count is reached once per day (counters stop at the limit), so each line logs once.
    if spent.count == max(1, math.ceil(spent.limit * BUDGET_WARNING_SHARE)):
        log.warning("sms daily budget: %d of %d texts used (%d%%)", spent.count, spent.limit,
                    100 * spent.count // spent.limit)
    if spent.count == spent.limit:
        log.warning("sms daily budget exhausted: %d of %d texts used; further codes refused today",
                    spent.count, spent.limit)
