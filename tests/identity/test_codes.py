"""One-time codes: binding, expiry, single use, 5 tries per code, 10 failures lock 15 minutes.

Every test runs on SQLite and PostgreSQL (``db``); time is passed in, never slept.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from identity.codes import (
    CodeExhausted,
    CodeExpired,
    CodeMalformed,
    CodeUsed,
    CodeWrong,
    SubjectLocked,
    issue_code,
    verify_code,
)
from identity.models import CodePurpose, CodeSubject, OneTimeCode

CHINA = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=CHINA)
TTL = timedelta(minutes=5)
LINK = CodePurpose.LINK
SUBJECT = "delivery:17"


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def issue(settings: Settings, at: datetime = T0, purpose: CodePurpose = LINK, subject: str = SUBJECT) -> str:
    return await issue_code(purpose, subject, settings=settings, now=at, ttl=TTL)


async def fail(settings: Settings, code: str, times: int, at: datetime = T0) -> list[Exception]:
    errors = []
    for _ in range(times):
        with pytest.raises((CodeWrong, CodeExhausted, SubjectLocked)) as caught:
            await verify_code(LINK, SUBJECT, other_than(code), settings=settings, now=at)
        errors.append(caught.value)
    return errors


async def test_a_code_is_six_digits_stored_only_as_an_hmac(db):
    code = await issue(db)
    assert len(code) == 6 and code.isascii() and code.isdigit()
    row = await OneTimeCode.get(purpose=LINK, subject=SUBJECT)
    assert len(row.code_hmac) == 64 and code not in row.code_hmac
    assert row.expires_at == T0 + TTL and row.used_at is None


async def test_the_right_code_works_once(db):
    code = await issue(db)
    await verify_code(LINK, SUBJECT, code, settings=db, now=T0 + timedelta(minutes=1))
    row = await OneTimeCode.get(purpose=LINK, subject=SUBJECT)
    assert row.used_at == T0 + timedelta(minutes=1)
    with pytest.raises(CodeUsed) as replay:
        await verify_code(LINK, SUBJECT, code, settings=db, now=T0 + timedelta(minutes=2))
    assert replay.value.status == 400 and replay.value.code == "code_used"


@pytest.mark.parametrize("typed", ["１２３４５６", " 123456 ", "123456\n"])
async def test_full_width_digits_and_spaces_are_normalised(db, monkeypatch, typed):
    monkeypatch.setattr("identity.codes.secrets.randbelow", lambda _: 123456)
    await issue(db)
    await verify_code(LINK, SUBJECT, typed, settings=db, now=T0)


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "abcdef", "", "12 345", "١٢٣٤٥٦"])
async def test_malformed_codes_are_refused_without_counting(db, typed):
    await issue(db)
    with pytest.raises(CodeMalformed) as caught:
        await verify_code(LINK, SUBJECT, typed, settings=db, now=T0)
    assert (caught.value.status, caught.value.code) == (422, "code_malformed")
    assert (await OneTimeCode.get(subject=SUBJECT)).failed_attempts == 0


async def test_a_code_expires_after_its_ttl(db):
    code = await issue(db)
    with pytest.raises(CodeExpired) as caught:
        await verify_code(LINK, SUBJECT, code, settings=db, now=T0 + TTL)
    assert caught.value.code == "code_expired"


async def test_no_code_at_all_is_reported_as_expired(db):
    with pytest.raises(CodeExpired):
        await verify_code(LINK, SUBJECT, "123456", settings=db, now=T0)


async def test_ttl_is_at_most_ten_minutes(db):
    with pytest.raises(ValueError):
        await issue_code(LINK, SUBJECT, settings=db, now=T0, ttl=timedelta(minutes=11))
    with pytest.raises(ValueError):
        await issue_code(LINK, SUBJECT, settings=db, now=T0, ttl=timedelta(0))


async def test_a_code_is_bound_to_its_purpose_and_subject(db):
    code = await issue(db, subject="delivery:1")
    await issue(db, purpose=CodePurpose.SIGN, subject="delivery:1")
    other = await issue(db, subject="delivery:2")
    while other == code:  # one chance in a million; make the test deterministic
        other = await issue(db, subject="delivery:2")
    with pytest.raises(CodeWrong):
        await verify_code(CodePurpose.SIGN, "delivery:1", code, settings=db, now=T0)
    with pytest.raises(CodeWrong):
        await verify_code(LINK, "delivery:2", code, settings=db, now=T0)
    with pytest.raises(CodeExpired):  # no code was ever issued for this pair
        await verify_code(CodePurpose.LOGIN, "delivery:1", code, settings=db, now=T0)
    await verify_code(LINK, "delivery:1", code, settings=db, now=T0)


async def test_a_new_code_replaces_the_old_one(db):
    old = await issue(db)
    new = await issue(db, at=T0 + timedelta(minutes=1))
    while new == old:
        new = await issue(db, at=T0 + timedelta(minutes=1))
    with pytest.raises(CodeWrong):
        await verify_code(LINK, SUBJECT, old, settings=db, now=T0 + timedelta(minutes=2))
    first = await OneTimeCode.filter(subject=SUBJECT).order_by("id").first()
    assert first.expires_at == T0 + timedelta(minutes=1)  # cut short when the new one was sent
    await verify_code(LINK, SUBJECT, new, settings=db, now=T0 + timedelta(minutes=2))


async def test_five_wrong_tries_kill_a_code(db):
    code = await issue(db)
    errors = await fail(db, code, 5)
    assert [e.code for e in errors] == ["code_wrong"] * 4 + ["code_exhausted"]
    assert [e.details["remaining_tries"] for e in errors] == [4, 3, 2, 1, 0]
    assert "还可尝试4次" in errors[0].message
    with pytest.raises(CodeExhausted) as caught:
        await verify_code(LINK, SUBJECT, code, settings=db, now=T0)  # even the right code is dead now
    assert caught.value.status == 400
    assert (await OneTimeCode.get(subject=SUBJECT)).failed_attempts == 5


async def test_a_resend_does_not_reset_failures_and_ten_lock_for_fifteen_minutes(db):
    first = await issue(db)
    await fail(db, first, 5)
    second = await issue(db, at=T0 + timedelta(minutes=1))
    errors = await fail(db, second, 5, at=T0 + timedelta(minutes=2))
    assert [e.code for e in errors] == ["code_wrong"] * 4 + ["subject_locked"]
    locked = errors[-1]
    assert locked.status == 429
    assert locked.details["retry_after"] == 15 * 60
    assert "09:17" in locked.message  # locked until 09:17 Beijing time

    during = T0 + timedelta(minutes=16, seconds=59)
    with pytest.raises(SubjectLocked):
        await verify_code(LINK, SUBJECT, second, settings=db, now=during)
    with pytest.raises(SubjectLocked) as resend:
        await issue(db, at=during)
    assert resend.value.details["retry_after"] == 1

    after = T0 + timedelta(minutes=17)
    third = await issue(db, at=after)
    await verify_code(LINK, SUBJECT, third, settings=db, now=after)


async def test_the_lock_is_per_purpose_and_subject(db):
    await issue(db)
    await fail(db, await issue(db), 5)
    await fail(db, await issue(db), 5)
    other = await issue(db, subject="delivery:99")
    await verify_code(LINK, "delivery:99", other, settings=db, now=T0)
    sign = await issue(db, purpose=CodePurpose.SIGN)
    await verify_code(CodePurpose.SIGN, SUBJECT, sign, settings=db, now=T0)


async def test_success_resets_the_consecutive_count(db):
    code = await issue(db)
    await fail(db, code, 4)
    await verify_code(LINK, SUBJECT, code, settings=db, now=T0)
    assert (await CodeSubject.get(purpose=LINK, subject=SUBJECT)).consecutive_failures == 0
    await fail(db, await issue(db), 5)
    errors = await fail(db, await issue(db), 4)  # 9 consecutive: not yet locked
    assert errors[-1].code == "code_wrong"


async def test_expired_and_replayed_codes_do_not_count_as_failures(db):
    code = await issue(db)
    await verify_code(LINK, SUBJECT, code, settings=db, now=T0)
    for _ in range(12):
        with pytest.raises(CodeUsed):
            await verify_code(LINK, SUBJECT, code, settings=db, now=T0)
    stale = await issue(db)
    for _ in range(12):
        with pytest.raises(CodeExpired):
            await verify_code(LINK, SUBJECT, other_than(stale), settings=db, now=T0 + TTL)
    assert not await CodeSubject.filter(consecutive_failures__gt=0).exists()


async def test_two_concurrent_verifications_of_one_code_succeed_once(db):
    code = await issue(db)
    outcomes = await asyncio.gather(
        *(verify_code(LINK, SUBJECT, code, settings=db, now=T0) for _ in range(2)), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["CodeUsed", "NoneType"]


async def test_concurrent_wrong_guesses_are_capped_at_five(db):
    code = await issue(db)
    outcomes = await asyncio.gather(
        *(verify_code(LINK, SUBJECT, other_than(code), settings=db, now=T0) for _ in range(8)), return_exceptions=True)
    assert all(isinstance(o, (CodeWrong, CodeExhausted)) for o in outcomes)
    assert (await OneTimeCode.get(subject=SUBJECT)).failed_attempts == 5
    with pytest.raises(CodeExhausted):
        await verify_code(LINK, SUBJECT, code, settings=db, now=T0)
