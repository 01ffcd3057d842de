"""Server-side sessions (会话): the cookie holds a random id, the table holds its SHA-256.

The cookie itself (name, flags) is web plumbing: ``web.cookies``.

A session ends when revoked, after ``idle`` without a request, or ``absolute`` after it was
created, whichever comes first. Rotate the id whenever privileges change (login, linking a
delivery) so an id planted before login is worthless afterwards (session fixation).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from core.errors import Unauthorized
from core.sql import columns, fetch, insert, instance
from identity.clock import utc
from identity.models import Session, SessionKind

__all__ = [
    "SessionInvalid",
    "create_session",
    "live_session",
    "load_session",
    "revoke_session",
    "rotate_session",
    "sid_hash",
]

SID_BYTES = 32  # 256 bits from secrets.token_urlsafe
# last_seen_at is written at most this often: one UPDATE per minute, not per request.
TOUCH_INTERVAL = timedelta(minutes=1)


class SessionInvalid(Unauthorized):
    code = "session_invalid"


def sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def _new_sid() -> str:
    return secrets.token_urlsafe(SID_BYTES)


async def create_session(kind: SessionKind, data: dict[str, Any], *, now: datetime,
                         idle: timedelta, absolute: timedelta) -> tuple[str, Session]:
    """Start a session; return its id (for the cookie only, never stored) and its row."""
    if not timedelta(0) < idle <= absolute:
        raise ValueError("会话空闲时限应大于0且不超过绝对时限")
    now = utc(now)
    sid = _new_sid()
    session = await insert(Session(
        sid_hash=sid_hash(sid), kind=kind, data=data, created_at=now, last_seen_at=now,
        expires_at=now + absolute,
    ))
    return sid, session


async def load_session(sid: str | None, *, now: datetime, idle: timedelta) -> Session | None:
    """The live session for ``sid``, or None if unknown, revoked, idle or past its lifetime."""
    if not sid:
        return None
    rows = await fetch(Session, _load_sql(), sid_hash(sid))
    return await live_session(instance(Session, rows[0], "x") if rows else None, now=now, idle=idle)


async def live_session(session: Session | None, *, now: datetime, idle: timedelta) -> Session | None:
    """``session`` (read by its ``sid_hash``, columns aliased "x") if it is still live, else None;
    marks it seen. For a caller that reads the session together with something else."""
    now = utc(now)
    if session is None or session.revoked_at is not None:
        return None
    if session.expires_at <= now or session.last_seen_at + idle < now:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await Session.filter(id=session.id, last_seen_at__lt=now).update(last_seen_at=now)
        session.last_seen_at = now
    return session


@cache
def _load_sql() -> str:
    # Every page asks for its session: fixed SQL (core/sql.py says why).
    return f'SELECT {columns(Session, "x")} FROM "{Session._meta.db_table}" "x" WHERE "x"."sid_hash" = $1'


async def rotate_session(sid: str, *, now: datetime, data: dict[str, Any] | None = None) -> str:
    """Give the session a new id and kill the old one; lifetime stays, and data too unless new
    ``data`` is given (in the same statement: a privilege change is one write).

    Callers check the session with ``load_session`` first (idle expiry needs ``idle``); this
    refuses a revoked or absolutely expired session so a rotation cannot revive it.
    """
    now = utc(now)
    new_sid = _new_sid()
    # Compare-and-set on the old hash: of two concurrent rotations only one gets the session.
    if data is None:
        updated = await fetch(Session, _rotate_sql(False), sid_hash(new_sid), now, sid_hash(sid))
    else:
        encoded = Session._meta.fields_map["data"].to_db_value(data, None)
        updated = await fetch(Session, _rotate_sql(True), sid_hash(new_sid), now, sid_hash(sid), encoded)
    if len(updated) != 1:
        raise SessionInvalid("会话已失效，请重新登录")
    return new_sid


@cache
def _rotate_sql(with_data: bool) -> str:
    data = ', "data" = $4' if with_data else ""
    return (f'UPDATE "{Session._meta.db_table}" SET "sid_hash" = $1, "last_seen_at" = $2{data} WHERE "sid_hash" = $3 '
            f'AND "revoked_at" IS NULL AND "expires_at" > $2 RETURNING "id"')


async def revoke_session(sid: str, *, now: datetime) -> None:
    """End the session (logout); harmless for an unknown or already revoked id."""
    await Session.filter(sid_hash=sid_hash(sid), revoked_at__isnull=True).update(revoked_at=utc(now))
