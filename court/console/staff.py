"""Staff accounts: creation, login (password + TOTP), and what each role may do.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation).
The second factor is RFC 6238 TOTP (pyotp; 30 s steps, one step of clock drift either way); a
code is accepted once: the account remembers the last time step used. Wrong logins are limited
like SMS codes: 5 in a row lock the account for 15 minutes, 20 an hour per address; an unknown
login, a wrong password, a wrong code and a locked account all get the same answer (401, one
message, one argon2 check), so login names cannot be enumerated.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from centre.scope import Scope
from core.errors import AppError, Forbidden, ValidationFailed
from core.settings import Settings
from court.console.models import StaffAccount, StaffRole
from identity.limits import LimitBackend, RateLimited
from identity.pii_keys import pii_cipher
from service.models import Court

security_log = logging.getLogger("songda.security")
_hasher = PasswordHasher()
TOTP_CONTEXT = "staff_totp"
ISSUER = "电子送达书记员工作台"
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
PER_IP_HOURLY = 20
MIN_PASSWORD = 10
STEP = 30

# What each role may do; everything a role lacks answers 403.
# Court staff see their court's services and tasks; service-centre staff (outsourced) see their
# centre's tasks only: a dispatcher all of them, a process server those assigned to them.
PERMISSIONS = {
    StaffRole.CLERK: {"view", "report", "resend", "revoke", "extend", "webhooks", "tasks", "evidence",
                      "request_task", "announce"},
    StaffRole.JUDGE: {"view", "report", "tasks", "evidence"},
    StaffRole.ADMIN: {"view", "report", "resend", "revoke", "extend", "webhooks", "staff", "tasks", "evidence",
                      "request_task", "escalation", "reveals", "announce"},
    StaffRole.DISPATCHER: {"tasks", "evidence", "dispatch", "handle", "centre_statistics"},
    StaffRole.PROCESS_SERVER: {"tasks", "evidence", "handle", "announce"},
}
CENTRE_ROLES = (StaffRole.DISPATCHER, StaffRole.PROCESS_SERVER)


class LoginFailed(AppError):
    status = 401
    code = "login_failed"


def may(role: StaffRole, action: str) -> bool:
    return action in PERMISSIONS[role]


def scope_of(staff: StaffAccount) -> Scope:
    """Which attempts the account may see (centre/scope.py): a process server their own tasks, a
    dispatcher their centre's, court staff their court's."""
    if staff.role in CENTRE_ROLES:
        if staff.centre_id is None:
            raise Forbidden("该账号未归属送达中心", code="no_centre")
        own = staff.id if staff.role is StaffRole.PROCESS_SERVER else None
        return Scope(staff.id, centre_id=staff.centre_id, assignee_id=own)
    return Scope(staff.id, court_id=staff.court_id)


def new_password() -> str:
    return secrets.token_urlsafe(12)


async def create_staff(court: Court, *, login: str, display_name: str, role: StaffRole, password: str,
                       settings: Settings, now: datetime) -> tuple[StaffAccount, str]:
    """The account and its TOTP secret (base32), shown once for the authenticator app."""
    login = login.strip()
    if not login or len(login) > 64:
        raise ValidationFailed("登录名不能为空且不超过64个字符", code="login_invalid")
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"密码至少{MIN_PASSWORD}位", code="password_too_short")
    if await StaffAccount.exists(login=login):
        raise ValidationFailed("该登录名已被使用", code="login_taken")
    if role in CENTRE_ROLES and court.centre_id is None:
        raise ValidationFailed("该法院没有送达中心，不能创建送达中心人员", code="court_without_centre")
    secret = pyotp.random_base32()
    account = await StaffAccount.create(
        court=court, centre_id=court.centre_id if role in CENTRE_ROLES else None,
        login=login, display_name=display_name.strip() or login, role=role,
        password_hash=_hasher.hash(password),
        totp_secret_cipher=pii_cipher(settings).encrypt(secret, context=TOTP_CONTEXT), created_at=now)
    return account, secret


def provisioning_uri(account: StaffAccount, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.login, issuer_name=ISSUER)


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), or None."""
    code = (code or "").strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


async def authenticate(login: str, password: str, code: str, *, ip: str, limits: LimitBackend,
                       settings: Settings, now: datetime) -> StaffAccount:
    """The account, or LoginFailed (same message whatever was wrong) / RateLimited."""
    per_ip = await limits.peek(f"console:login-ip:{ip}", PER_IP_HOURLY, timedelta(hours=1), now=now)
    if not per_ip.allowed:
        raise RateLimited(f"登录尝试过于频繁，请{per_ip.retry_after}秒后再试", code="login_rate_limited",
                          details={"retry_after": per_ip.retry_after})
    account = await StaffAccount.get_or_none(login=(login or "").strip()[:64])
    # A locked account answers exactly like a wrong password (same status, message and argon2
    # cost), so neither the answer nor its time tells which logins exist.
    locked = account is not None and account.locked_until is not None and account.locked_until > now
    # An unknown login pays the same argon2 cost as a real check.
    password_ok = _password_ok_hash(account.password_hash if account is not None else _UNKNOWN_LOGIN_HASH,
                                    password or "")
    ok = account is not None and not locked and account.disabled_at is None and password_ok
    step = None
    if ok:
        secret = pii_cipher(settings).decrypt(account.totp_secret_cipher, context=TOTP_CONTEXT)
        step = _totp_step(secret, code, now)
        ok = step is not None and step > account.totp_last_step
    if not ok:
        await limits.hit(f"console:login-ip:{ip}", PER_IP_HOURLY, timedelta(hours=1), now=now)
        if account is not None and not locked:  # a lock runs its course; failures do not extend it
            await _count_failure(account, now)
        security_log.warning("console login failed: account=%s locked=%s ip=%s", account.id if account else "-",
                             locked, ip)
        raise LoginFailed("登录名、密码或动态验证码错误")
    # Compare-and-set on the step: two logins with one code, at once, cannot both pass.
    taken = await StaffAccount.filter(id=account.id, totp_last_step__lt=step).update(
        totp_last_step=step, failed_logins=0, locked_until=None, last_login_at=now)
    if not taken:
        raise LoginFailed("登录名、密码或动态验证码错误")
    if _hasher.check_needs_rehash(account.password_hash):
        await StaffAccount.filter(id=account.id).update(password_hash=_hasher.hash(password))
    return await StaffAccount.get(id=account.id)


def _password_ok_hash(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_UNKNOWN_LOGIN_HASH = _hasher.hash(secrets.token_urlsafe(16))


async def _count_failure(account: StaffAccount, now: datetime) -> None:
    failures = account.failed_logins + 1
    locked = now + LOCK_FOR if failures >= MAX_FAILURES else None
    await StaffAccount.filter(id=account.id).update(failed_logins=0 if locked else failures, locked_until=locked)


async def staff_of(court_id: int) -> list[StaffAccount]:
    return await StaffAccount.filter(court_id=court_id).order_by("role", "login")
