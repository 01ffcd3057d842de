"""One-time codes (短信验证码): issue and verify, with per-code and per-subject limits.

A code is bound to its purpose and subject: only ``HMAC(key, "purpose|subject|code")`` is
stored, with a key derived from ``SONGDA_SECRET_KEY``, so a code for one delivery or purpose
never opens another, and a database dump reveals no code.

Limits: 5 wrong tries kill a code; 10 consecutive failures for one (purpose, subject) lock it
for 15 minutes, and a resend does not reset that count (otherwise "resend, guess 5, resend…"
would allow unlimited guesses). Every time comes from the caller.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.errors import AppError
from core.settings import Settings
from core.sql import columns, fetch, insert_values, instance
from identity.clock import utc
from identity.limits import RateLimited
from identity.models import CodePurpose, CodeSubject, OneTimeCode

__all__ = [
    "CodeError",
    "CodeExhausted",
    "CodeExpired",
    "CodeMalformed",
    "CodeUsed",
    "CodeWrong",
    "SubjectLocked",
    "ensure_not_locked",
    "issue_code",
    "store_code",
    "verify_code",
]

CODE_DIGITS = 6
MAX_TTL = timedelta(minutes=10)
MAX_WRONG_PER_CODE = 5
LOCK_AFTER_FAILURES = 10
LOCK_DURATION = timedelta(minutes=15)
_HKDF_INFO = b"songda/identity/one-time-code/v1"
_ASCII_CODE = re.compile(r"[0-9]{6}")
CHINA_TZ = ZoneInfo("Asia/Shanghai")


security_log = logging.getLogger("songda.security")


class CodeError(AppError):
    status = 400
    code = "code_invalid"


class CodeMalformed(CodeError):
    status = 422
    code = "code_malformed"


class CodeExpired(CodeError):
    code = "code_expired"


class CodeWrong(CodeError):
    code = "code_wrong"


class CodeUsed(CodeError):
    code = "code_used"


class CodeExhausted(CodeError):
    code = "code_exhausted"


class SubjectLocked(RateLimited):
    code = "subject_locked"


@lru_cache(maxsize=4)
def _derive_key(secret: str) -> bytes:
    # Its own HKDF label: independent of the PII keys derived from the same secret.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8"))


def _code_hmac(settings: Settings, purpose: CodePurpose, subject: str, code: str) -> str:
    key = _derive_key(settings.secret_key.get_secret_value())
    # Unambiguous: the purpose holds no "|" and the code is the last six characters.
    message = f"{CodePurpose(purpose).value}|{subject}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _normalize(code: str) -> str:
    # NFKC folds full-width digits typed with a Chinese IME (１２３４５６ → 123456).
    value = unicodedata.normalize("NFKC", code or "").strip()
    if not _ASCII_CODE.fullmatch(value):
        raise CodeMalformed("验证码应为6位数字")
    return value


async def issue_code(purpose: CodePurpose, subject: str, *, settings: Settings, now: datetime,
                     ttl: timedelta) -> str:
    """Create a new code for (purpose, subject); older unused codes stop working at once.
    Raises ``SubjectLocked`` while the subject is locked."""
    await ensure_not_locked(purpose, subject, now=utc(now))
    return await store_code(purpose, subject, settings=settings, now=now, ttl=ttl)


async def store_code(purpose: CodePurpose, subject: str, *, settings: Settings, now: datetime,
                     ttl: timedelta) -> str:
    """``issue_code`` for a caller that has just checked the lock itself (one query less on the
    code request every litigant makes)."""
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError("验证码有效期应大于0且不超过10分钟")
    now = utc(now)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    row = OneTimeCode(purpose=purpose, subject=subject, code_hmac=_code_hmac(settings, purpose, subject, code),
                      created_at=now, expires_at=now + ttl)
    # Cutting the older codes short and storing the new one: one statement.
    names, values = insert_values(row)
    await fetch(OneTimeCode, _replace_sql(tuple(names)), *values, CodePurpose(purpose).value, subject, now)
    return code


@cache
def _replace_sql(names: tuple[str, ...]) -> str:
    n = len(names)
    table = OneTimeCode._meta.db_table
    return (f'WITH "cut" AS (UPDATE "{table}" SET "expires_at" = ${n + 3} WHERE "purpose" = ${n + 1} '
            f'AND "subject" = ${n + 2} AND "used_at" IS NULL AND "expires_at" > ${n + 3}) '
            f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join(f"${i}" for i in range(1, n + 1))})')


async def ensure_not_locked(purpose: CodePurpose, subject: str, *, now: datetime) -> None:
    """Raise ``SubjectLocked`` (429) while too many failures keep (purpose, subject) locked."""
    rows = await fetch(CodeSubject, _subject_sql(), CodePurpose(purpose).value, subject)
    _check_lock(instance(CodeSubject, rows[0], "s") if rows else None, utc(now))


@cache
def _subject_sql() -> str:
    # Asked on every code request: fixed SQL (core/sql.py).
    return (f'SELECT {columns(CodeSubject, "s")} FROM "{CodeSubject._meta.db_table}" "s" '
            f'WHERE "s"."purpose" = $1 AND "s"."subject" = $2')


def _check_lock(row: CodeSubject | None, now: datetime) -> None:
    if row is not None and row.locked_until is not None and row.locked_until > now:
        _raise_locked(row.locked_until, now)


async def verify_code(purpose: CodePurpose, subject: str, code: str, *, settings: Settings,
                      now: datetime) -> None:
    """Return if ``code`` is the live code for (purpose, subject), marking it used; else raise.
    Every outcome goes to the security log (purpose, subject id and outcome; never the code)."""
    try:
        await _verify(purpose, subject, code, settings=settings, now=now)
    except AppError as exc:
        security_log.warning("code check failed: purpose=%s subject=%s outcome=%s",
                             CodePurpose(purpose).value, subject, exc.code)
        raise
    security_log.info("code check passed: purpose=%s subject=%s", CodePurpose(purpose).value, subject)


async def _verify(purpose: CodePurpose, subject: str, code: str, *, settings: Settings, now: datetime) -> None:
    """The checks, in order.

    Only a wrong guess against a live code counts as a failure: malformed input, expired or
    replayed codes cannot be right, so they neither burn tries nor lock the subject.
    """
    value = _normalize(code)
    now = utc(now)
    # The latest code with its subject's failure count, in one statement (core/sql.py).
    rows = await fetch(OneTimeCode, _latest_sql(), CodePurpose(purpose).value, subject)
    if not rows:
        _check_lock(await CodeSubject.get_or_none(purpose=purpose, subject=subject), now)
        raise CodeExpired("验证码已过期或不存在，请重新获取")
    latest = instance(OneTimeCode, rows[0], "c")
    subject_row = instance(CodeSubject, rows[0], "s") if rows[0]["s.id"] is not None else None
    _check_lock(subject_row, now)
    matches = hmac.compare_digest(_code_hmac(settings, purpose, subject, value), latest.code_hmac)
    if latest.used_at is not None:
        if matches:
            raise CodeUsed("验证码已使用，请重新获取")
        raise CodeExpired("验证码已过期或不存在，请重新获取")
    if latest.expires_at <= now:
        raise CodeExpired("验证码已过期，请重新获取")
    if latest.failed_attempts >= MAX_WRONG_PER_CODE:
        raise CodeExhausted("验证码错误次数过多，已失效，请重新获取")
    if matches:
        await _consume(latest, subject_row, now)
    else:
        await _count_failure(latest, now)


@cache
def _consume_sql() -> str:
    return (f'UPDATE "{OneTimeCode._meta.db_table}" SET "used_at" = $1 WHERE "id" = $2 AND "used_at" IS NULL '
            f'AND "failed_attempts" < $3 AND "expires_at" > $1 RETURNING "id"')


@cache
def _latest_sql() -> str:
    c, s = OneTimeCode._meta.db_table, CodeSubject._meta.db_table
    return (f'SELECT {columns(OneTimeCode, "c")}, {columns(CodeSubject, "s")} FROM "{c}" "c" '
            f'LEFT JOIN "{s}" "s" ON "s"."purpose" = "c"."purpose" AND "s"."subject" = "c"."subject" '
            f'WHERE "c"."purpose" = $1 AND "c"."subject" = $2 ORDER BY "c"."id" DESC LIMIT 1')


async def _consume(row: OneTimeCode, subject_row: CodeSubject | None, now: datetime) -> None:
    # Compare-and-set: of two concurrent verifications only one sees a row to update.
    updated = await fetch(OneTimeCode, _consume_sql(), now, row.id, MAX_WRONG_PER_CODE)
    if len(updated) != 1:
        fresh = await OneTimeCode.get(id=row.id)
        if fresh.used_at is not None:
            raise CodeUsed("验证码已使用，请重新获取")
        if fresh.failed_attempts >= MAX_WRONG_PER_CODE:
            raise CodeExhausted("验证码错误次数过多，已失效，请重新获取")
        raise CodeExpired("验证码已过期，请重新获取")
    # A success clears the failure count, when there is one: most subjects never failed, and a
    # failure landing between our read and here is simply not cleared (errs towards locking).
    if subject_row is not None and (subject_row.consecutive_failures or subject_row.locked_until is not None):
        await CodeSubject.filter(id=subject_row.id).update(consecutive_failures=0, locked_until=None)


async def _count_failure(row: OneTimeCode, now: datetime) -> None:
    # The conditional increment caps a code at 5 counted wrong tries even under concurrency.
    counted = await OneTimeCode.filter(
        id=row.id, used_at__isnull=True, failed_attempts__lt=MAX_WRONG_PER_CODE,
    ).update(failed_attempts=F("failed_attempts") + 1)
    if counted != 1:
        raise CodeExhausted("验证码错误次数过多，已失效，请重新获取")
    subject = await _subject_row(row.purpose, row.subject)
    await CodeSubject.filter(id=subject.id).update(consecutive_failures=F("consecutive_failures") + 1)
    # Lock exactly once when the 10th consecutive failure lands; the count restarts so the
    # subject gets a fresh 10 tries after the lock instead of one try per 15 minutes.
    locked_until = now + LOCK_DURATION
    locked = await CodeSubject.filter(
        id=subject.id, consecutive_failures__gte=LOCK_AFTER_FAILURES,
    ).update(consecutive_failures=0, locked_until=locked_until)
    if locked:
        _raise_locked(locked_until, now)
    attempts = (await OneTimeCode.get(id=row.id)).failed_attempts
    remaining = max(0, MAX_WRONG_PER_CODE - attempts)
    if remaining == 0:
        raise CodeExhausted("验证码错误，错误次数已达上限，此验证码已失效，请重新获取",
                            details={"remaining_tries": 0})
    raise CodeWrong(f"验证码错误，还可尝试{remaining}次", details={"remaining_tries": remaining})


async def _subject_row(purpose: CodePurpose, subject: str) -> CodeSubject:
    row = await CodeSubject.get_or_none(purpose=purpose, subject=subject)
    if row is not None:
        return row
    try:
        return await CodeSubject.create(purpose=purpose, subject=subject)
    except IntegrityError:  # a concurrent failure created it first
        return await CodeSubject.get(purpose=purpose, subject=subject)


def _raise_locked(locked_until: datetime, now: datetime) -> None:
    retry_after = max(1, int((locked_until - now).total_seconds() + 0.999))
    local = locked_until.astimezone(CHINA_TZ)
    raise SubjectLocked(
        f"验证码错误次数过多，已暂时锁定，请于{local:%H:%M}（北京时间）后再试",
        details={"retry_after": retry_after, "locked_until": locked_until.isoformat()},
    )
