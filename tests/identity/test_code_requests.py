"""Requesting a code by SMS: each abuse limit, the daily budget, and unknown phones.

Runs with both limit backends (Redis and the database) on both databases. Texts go to an
in-test recording gateway through a sender that skips ``SmsMessage`` bookkeeping.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio

from core.errors import AppError, ValidationFailed
from core.settings import Settings
from identity.code_requests import request_code
from identity.codes import CodeWrong, SubjectLocked, issue_code, verify_code
from identity.limits import DatabaseLimitBackend, LimitBackend, RateLimited, RedisLimitBackend
from identity.models import CodePurpose, SmsTemplate
from identity.pii_keys import pii_cipher
from web.client_address import client_ip

CHINA = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)
LOGIN = CodePurpose.LOGIN
IP = "203.0.113.7"
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@dataclass
class RecordingGateway:
    provider: str = "test"
    sign_name: str = "电子送达"
    sent: list[tuple[str, SmsTemplate, dict[str, str]]] = field(default_factory=list)

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> Any:
        self.sent.append((phone, template, dict(params)))
        return SimpleNamespace(provider_message_id=f"biz-{len(self.sent)}", request_id=f"req-{len(self.sent)}")


async def send_direct(gateway, *, phone, template, params, settings, now, delivery_id=None):
    return await gateway.send(phone, template, params)


@dataclass
class Env:
    gateway: RecordingGateway
    limits: LimitBackend
    settings: Settings

    async def ask(self, phone: str, at: datetime, *, ip: str = IP, known: bool = True) -> None:
        await request_code(
            purpose=LOGIN, subject=subject_of(phone, self.settings), phone=phone if known else None, client_ip=ip,
            gateway=self.gateway, limits=self.limits, settings=self.settings, now=at, sender=send_direct,
        )

    async def refused(self, phone: str, at: datetime, **kwargs: Any) -> AppError:
        with pytest.raises(AppError) as caught:
            await self.ask(phone, at, **kwargs)
        return caught.value


def subject_of(phone: str, settings: Settings) -> str:
    return pii_cipher(settings).blind_index(phone, context="phone")


def mobile(n: int, prefix: str = "1381234") -> str:
    return f"{prefix}{n:0{11 - len(prefix)}d}"


@pytest.fixture(params=["database", "redis"])
async def env(request, db):
    if request.param == "database":
        yield Env(RecordingGateway(), DatabaseLimitBackend(), db)
        return
    client = redis.asyncio.Redis.from_url(REDIS_TEST_URL)
    await client.flushdb()
    yield Env(RecordingGateway(), RedisLimitBackend(client), db)
    await client.flushdb()
    await client.aclose()


async def test_a_code_is_texted_and_then_verifies(env):
    phone = mobile(1)
    await env.ask(phone, T0)
    [(to, template, params)] = env.gateway.sent
    assert (to, template, params["minutes"]) == (phone, SmsTemplate.CODE, "5")
    await verify_code(LOGIN, subject_of(phone, env.settings), params["code"], settings=env.settings,
                      now=T0 + timedelta(minutes=1))


async def test_a_resend_waits_sixty_seconds(env):
    await env.ask(mobile(1), T0)
    error = await env.refused(mobile(1), T0 + timedelta(seconds=59))
    assert (error.status, error.code, error.details) == (429, "code_cooldown", {"retry_after": 1})
    assert "1秒" in error.message
    await env.ask(mobile(1), T0 + timedelta(seconds=60))
    assert len(env.gateway.sent) == 2


async def test_five_texts_per_phone_per_hour(env):
    for i in range(5):
        await env.ask(mobile(1), T0 + timedelta(minutes=i))
    error = await env.refused(mobile(1), T0 + timedelta(minutes=5))
    assert (error.code, error.details["retry_after"]) == ("phone_hourly_limit", 55 * 60)
    await env.ask(mobile(2), T0 + timedelta(minutes=5))  # another phone is not affected
    await env.ask(mobile(1), T0 + timedelta(hours=1))
    assert len(env.gateway.sent) == 7


async def test_ten_texts_per_phone_per_day(env):
    for hour in range(2):
        for i in range(5):
            await env.ask(mobile(1), T0 + timedelta(hours=hour, minutes=i))
    error = await env.refused(mobile(1), T0 + timedelta(hours=2))
    # Refused at 11:00 Beijing time until midnight.
    assert (error.code, error.details["retry_after"]) == ("phone_daily_limit", 13 * 3600)
    await env.ask(mobile(1), datetime(2024, 5, 2, 0, 0, tzinfo=CHINA))
    assert len(env.gateway.sent) == 11


async def test_twenty_requests_per_ip_per_hour(env):
    for i in range(20):
        await env.ask(mobile(i, prefix="139"), T0)
    error = await env.refused(mobile(20, prefix="139"), T0)
    assert (error.code, error.details["retry_after"]) == ("ip_rate_limited", 3600)
    await env.ask(mobile(21, prefix="139"), T0, ip="198.51.100.1")  # another address
    await env.ask(mobile(22, prefix="139"), T0 + timedelta(hours=1))


async def test_a_forged_forwarded_for_does_not_escape_the_ip_limit(env):
    proxies = ["10.0.0.0/8"]
    for i in range(20):
        await env.ask(mobile(i, prefix="139"), T0, ip=client_ip(IP, f"198.51.100.{i}", proxies))
    error = await env.refused(mobile(20, prefix="139"), T0, ip=client_ip(IP, "198.51.100.99", proxies))
    assert error.code == "ip_rate_limited"


async def test_thirty_requests_per_number_prefix_per_hour(env):
    # A walk through 138 1234 xxxx from many addresses.
    for i in range(30):
        await env.ask(mobile(i), T0, ip=f"198.51.100.{i}")
    error = await env.refused(mobile(30), T0, ip="198.51.100.30")
    assert (error.code, error.details["retry_after"]) == ("prefix_rate_limited", 3600)
    await env.ask(mobile(30, prefix="1381235"), T0, ip="198.51.100.31")
    assert len(env.gateway.sent) == 31


async def test_daily_budget_warns_at_eighty_percent_then_refuses(env, caplog):
    env.settings = env.settings.model_copy(update={"sms_daily_budget": 10})
    caplog.set_level(logging.WARNING, logger="identity.code_requests")
    for i in range(7):
        await env.ask(mobile(i), T0)
    assert not caplog.records
    await env.ask(mobile(7), T0)
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING and "8 of 10" in warning.getMessage()
    await env.ask(mobile(8), T0)
    await env.ask(mobile(9), T0)
    error = await env.refused(mobile(10), T0)
    assert (error.status, error.code) == (429, "sms_budget_exhausted")
    assert error.details["retry_after"] == 15 * 3600  # until Beijing midnight
    assert len(env.gateway.sent) == 10
    messages = [r.getMessage() for r in caplog.records]
    assert sum("80%" in m for m in messages) == 1
    assert not any(mobile(i)[-4:] in m or "1381234" in m for m in messages for i in range(11))
    await env.ask(mobile(10), datetime(2024, 5, 2, 0, 0, tzinfo=CHINA))


async def test_an_unknown_phone_gets_the_same_answers_and_no_text(env, monkeypatch):
    monkeypatch.setattr("identity.codes.secrets.randbelow", lambda _: 123456)

    async def outcomes(phone: str, known: bool) -> list[str]:
        seen = []
        for at in (T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=60)):
            try:
                seen.append(repr(await env.ask(phone, at, known=known)))
            except RateLimited as exc:
                seen.append(f"{exc.code}:{exc.details}")
        with pytest.raises(CodeWrong) as guessed:  # a code exists either way
            await verify_code(LOGIN, subject_of(phone, env.settings), "000000", settings=env.settings,
                              now=T0 + timedelta(seconds=61))
        return [*seen, f"{guessed.value.code}:{guessed.value.details}"]

    known = await outcomes(mobile(1), known=True)
    unknown = await outcomes(mobile(2), known=False)
    assert known == unknown == ["None", "code_cooldown:{'retry_after': 30}", "None",
                                "code_wrong:{'remaining_tries': 4}"]
    assert [to for to, _, _ in env.gateway.sent] == [mobile(1), mobile(1)]


async def test_unknown_phones_still_count_against_the_ip_limit(env):
    for i in range(20):
        await env.ask(mobile(i, prefix="139"), T0, known=False)
    error = await env.refused(mobile(20, prefix="139"), T0, known=False)
    assert error.code == "ip_rate_limited"
    assert env.gateway.sent == []


async def test_unknown_phones_share_the_per_phone_limits(env):
    for i in range(5):
        await env.ask(mobile(1), T0 + timedelta(minutes=i), known=False)
    assert (await env.refused(mobile(1), T0 + timedelta(minutes=5), known=False)).code == "phone_hourly_limit"


async def test_a_locked_subject_is_refused_before_any_text(env):
    phone = mobile(1)
    for _ in range(2):
        code = await issue_code(LOGIN, subject_of(phone, env.settings), settings=env.settings, now=T0,
                                ttl=timedelta(minutes=5))
        for _ in range(5):
            try:
                await verify_code(LOGIN, subject_of(phone, env.settings), f"{(int(code) + 1) % 10**6:06d}",
                                  settings=env.settings, now=T0)
            except AppError:
                pass
    error = await env.refused(phone, T0 + timedelta(minutes=1))
    assert isinstance(error, SubjectLocked) and error.status == 429
    assert env.gateway.sent == []
    await env.ask(phone, T0 + timedelta(minutes=15))
    assert len(env.gateway.sent) == 1


async def test_a_malformed_phone_on_file_is_refused(env):
    with pytest.raises(ValidationFailed):
        await request_code(purpose=LOGIN, subject="x", phone="12345", client_ip=IP, gateway=env.gateway,
                           limits=env.limits, settings=env.settings, now=T0, sender=send_direct)


async def test_the_default_sender_is_send_sms(env, monkeypatch):
    from identity.sms import sending

    monkeypatch.setattr(sending, "send_sms", send_direct)
    await request_code(purpose=LOGIN, subject=subject_of(mobile(1), env.settings), phone=mobile(1), client_ip=IP,
                       gateway=env.gateway, limits=env.limits, settings=env.settings, now=T0)
    assert len(env.gateway.sent) == 1
